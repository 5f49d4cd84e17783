"""Where clean photos live: the local disk or S3, behind one small interface.

Both stores share ``put/get/delete/exists/url`` and the same key rules, so the app,
its tests and the contract test never care which one is configured. Keys are short
relative paths of plain segments (``photos/2025/3f2a.jpg``): no ``..``, no leading
slash, no backslash, nothing a path join or an S3 console could misread.
Credentials never appear here: boto3 finds them in its usual places (environment,
instance role), so they stay out of our configuration.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from trip_companion.media.files import write_whole

PREFIX = "TRIP_COMPANION_"
_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"
_KEY = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT}){{0,7}}")


class StorageError(Exception):
    """A store could not do what was asked."""


class InvalidKeyError(StorageError, ValueError):
    """A key that could escape the store or be misread."""


class NotFoundError(StorageError, LookupError):
    """No object under that key."""


def check_key(key: str) -> str:
    """Return ``key`` if it is a safe relative path of plain segments.

    :raises InvalidKeyError: anything else (``..``, absolute paths, odd characters).
    """
    if not isinstance(key, str) or not _KEY.fullmatch(key) or ".." in key.split("/"):
        msg = f"invalid storage key {key!r}"
        raise InvalidKeyError(msg)
    return key


class Store(Protocol):
    """What the app needs from a place to keep clean photos."""

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key``, replacing what was there, atomically."""

    def get(self, key: str) -> bytes:
        """Return the bytes under ``key``; raise ``NotFoundError`` if there are none."""

    def delete(self, key: str) -> None:
        """Remove ``key``; removing a missing key is not an error."""

    def exists(self, key: str) -> bool:
        """Tell whether something is stored under ``key``."""

    def url(self, key: str, *, expires: int = 300) -> str | None:
        """Return a URL a browser may fetch for ``expires`` seconds, or None (app serves it)."""


class LocalStore:
    """Files under one root; the app serves them itself (``url`` is None)."""

    def __init__(self, root: str | os.PathLike[str], *, mode: int = 0o640) -> None:
        self.root = Path(root)
        self.mode = mode

    def path(self, key: str) -> Path:
        """Return the file for ``key`` (for ``send_file``), checked to stay under the root."""
        path = self.root / check_key(key)
        if not path.resolve().is_relative_to(self.root.resolve()):
            msg = f"storage key {key!r} leaves the store"
            raise InvalidKeyError(msg)
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Write whole or not at all (``files.write_whole``), on disk before we return.

        A reader sees the old object or the new one, never half a photo; a write cut
        short leaves no part of a photo behind (but see ``files`` on replacing); and the
        photo is on disk before we tell the phone it may delete its copy.
        ``content_type`` is not stored: the app serves the file with the type its
        extension implies.
        """
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
        folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            write_whole(folder, path.name, data, mode=self.mode, durable=True)
            os.fsync(folder)  # the new name, too
        finally:
            os.close(folder)

    def get(self, key: str) -> bytes:
        """Return the bytes under ``key``.

        :raises NotFoundError: nothing is stored there.
        """
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError as exc:
            raise NotFoundError(key) from exc

    def delete(self, key: str) -> None:
        """Remove ``key``; removing what is not there is not an error (as in S3)."""
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        """Tell whether an object is stored under ``key``."""
        return self.path(key).is_file()

    def url(self, key: str, *, expires: int = 300) -> str | None:
        """Return None: local files have no public URL; the app streams them."""
        self.path(key)
        return None


class S3Store:
    """Objects in one S3 (or S3-compatible) bucket, through a boto3 client."""

    def __init__(self, bucket: str, client: Any) -> None:
        self.bucket = bucket
        self.client = client

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Upload in one request: S3 makes a PUT visible whole or not at all."""
        self.client.put_object(Bucket=self.bucket, Key=check_key(key), Body=data,
                               ContentType=content_type)

    def get(self, key: str) -> bytes:
        """Return the bytes under ``key``.

        :raises NotFoundError: nothing is stored there.
        """
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=check_key(key))
        except self.client.exceptions.NoSuchKey as exc:
            raise NotFoundError(key) from exc
        return response["Body"].read()

    def delete(self, key: str) -> None:
        """Remove ``key``; removing what is not there is not an error."""
        self.client.delete_object(Bucket=self.bucket, Key=check_key(key))

    def exists(self, key: str) -> bool:
        """Tell whether an object is stored under ``key``."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=check_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def url(self, key: str, *, expires: int = 300) -> str | None:
        """Return a presigned GET URL valid for ``expires`` seconds."""
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": check_key(key)},
            ExpiresIn=expires)


def _setting(config: Mapping[str, Any], name: str, default: Any = None) -> Any:
    # Accept the environment's TRIP_COMPANION_X and Flask config's X (prefix stripped).
    for key in (PREFIX + name, name):
        if config.get(key) not in (None, ""):
            return config[key]
    return default


def store_from_config(config: Mapping[str, Any]) -> LocalStore | S3Store:
    """Return the store the configuration names: ``STORAGE`` = "local" (default) or "s3".

    local: files under ``<DATA_DIR>/media``. s3: ``S3_BUCKET`` (required),
    ``S3_ENDPOINT_URL`` (MinIO, moto…; path-style addressing), ``S3_REGION``.

    :raises ValueError: an unknown kind, or s3 without a bucket.
    """
    kind = str(_setting(config, "STORAGE", "local")).lower()
    if kind == "local":
        return LocalStore(Path(_setting(config, "DATA_DIR", "instance")) / "media")
    if kind != "s3":
        msg = f"unknown storage {kind!r}: use 'local' or 's3'"
        raise ValueError(msg)
    bucket = _setting(config, "S3_BUCKET")
    if not bucket:
        msg = "S3 storage needs TRIP_COMPANION_S3_BUCKET"
        raise ValueError(msg)
    return S3Store(bucket, _s3_client(_setting(config, "S3_ENDPOINT_URL"),
                                      _setting(config, "S3_REGION")))


def _s3_client(endpoint_url: str | None, region: str | None) -> Any:
    import boto3
    from botocore.config import Config

    style = {"addressing_style": "path"} if endpoint_url else {}
    return boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region or None,
                        config=Config(s3=style))
