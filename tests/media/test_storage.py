"""One contract for every store: the same tests run against the local disk and S3 (moto)."""

from __future__ import annotations

import os
import stat
import uuid
from urllib.request import urlopen

import boto3
import pytest
from botocore.config import Config

from trip_companion.media.storage import (
    InvalidKeyError,
    LocalStore,
    NotFoundError,
    S3Store,
    store_from_config,
)

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
BAD_KEYS = ["", "/etc/passwd", "../outside.jpg", "a/../../b.jpg", "a//b.jpg", ".hidden",
            "photos/..", "a\\b.jpg", "C:/x.jpg", "photo.jpg/", " spaced.jpg", "x" * 200,
            "a/b/c/d/e/f/g/h/i.jpg", "naïve.jpg", "a\x00b"]


@pytest.fixture(scope="module")
def moto_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _client(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"}), **CREDENTIALS)


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalStore(tmp_path / "media")
    client = _client(request.getfixturevalue("moto_endpoint"))
    bucket = f"photos-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    return S3Store(bucket, client)


def test_put_then_get_round_trips(store):
    store.put("trips/12/abc.jpg", b"\xff\xd8clean\xff\xd9", "image/jpeg")
    assert store.get("trips/12/abc.jpg") == b"\xff\xd8clean\xff\xd9"
    assert store.exists("trips/12/abc.jpg")


def test_put_replaces_what_was_there(store):
    store.put("a.jpg", b"old", "image/jpeg")
    store.put("a.jpg", b"new", "image/jpeg")
    assert store.get("a.jpg") == b"new"


def test_missing_key_is_not_found(store):
    assert not store.exists("nothing.jpg")
    with pytest.raises(NotFoundError):
        store.get("nothing.jpg")


def test_delete_removes_and_is_idempotent(store):
    store.put("gone.jpg", b"x", "image/jpeg")
    store.delete("gone.jpg")
    assert not store.exists("gone.jpg")
    store.delete("gone.jpg")


def test_keys_are_independent(store):
    store.put("one.jpg", b"1", "image/jpeg")
    store.put("two.jpg", b"2", "image/jpeg")
    store.delete("one.jpg")
    assert store.get("two.jpg") == b"2"


@pytest.mark.parametrize("key", BAD_KEYS)
def test_unsafe_keys_are_refused_everywhere(store, key):
    for call in (lambda: store.put(key, b"x", "image/jpeg"), lambda: store.get(key),
                 lambda: store.delete(key), lambda: store.exists(key), lambda: store.url(key)):
        with pytest.raises(InvalidKeyError):
            call()


def test_url_is_none_locally_and_presigned_on_s3(store):
    store.put("shared.jpg", b"pixels", "image/jpeg")
    url = store.url("shared.jpg", expires=60)
    if isinstance(store, LocalStore):
        assert url is None
    else:
        with urlopen(url) as response:  # what a browser would do
            assert response.read() == b"pixels"
            assert response.headers["Content-Type"] == "image/jpeg"


def test_local_writes_are_atomic_and_private(tmp_path, write_path):
    store = LocalStore(tmp_path / "media")
    store.put("trips/1/a.jpg", b"data", "image/jpeg")
    path = store.path("trips/1/a.jpg")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.jpg"]  # no temp left


def test_local_writes_reach_the_disk_before_put_returns(tmp_path, monkeypatch, write_path):
    """The phone is told to delete its copy after ``put``: the photo and its name are flushed."""
    flushed = []
    monkeypatch.setattr(os, "fsync", lambda fd: flushed.append(os.fstat(fd).st_mode))
    LocalStore(tmp_path / "media").put("trips/a.jpg", b"data", "image/jpeg")
    assert [(stat.S_ISREG(m), stat.S_ISDIR(m)) for m in flushed] == [(True, False),
                                                                    (False, True)]


def test_local_failed_write_leaves_nothing(tmp_path, monkeypatch, write_path):
    store = LocalStore(tmp_path / "media")
    store.put("a.jpg", b"old", "image/jpeg")

    def broken_replace(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        store.put("a.jpg", b"new", "image/jpeg")
    assert store.get("a.jpg") == b"old"
    assert [p.name for p in (tmp_path / "media").iterdir()] == ["a.jpg"]


def test_local_symlink_cannot_lead_outside(tmp_path):
    (tmp_path / "media").mkdir()
    (tmp_path / "secret").mkdir()
    (tmp_path / "media" / "escape").symlink_to(tmp_path / "secret")
    with pytest.raises(InvalidKeyError):
        LocalStore(tmp_path / "media").put("escape/x.jpg", b"x", "image/jpeg")


def test_config_defaults_to_local_under_the_data_dir(tmp_path):
    store = store_from_config({"DATA_DIR": str(tmp_path)})
    assert isinstance(store, LocalStore) and store.root == tmp_path / "media"
    prefixed = store_from_config({"TRIP_COMPANION_DATA_DIR": str(tmp_path),
                                  "TRIP_COMPANION_STORAGE": "local"})
    assert prefixed.root == tmp_path / "media"


def test_config_builds_an_s3_store(moto_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    store = store_from_config({"TRIP_COMPANION_STORAGE": "s3",
                               "TRIP_COMPANION_S3_BUCKET": "from-config",
                               "TRIP_COMPANION_S3_ENDPOINT_URL": moto_endpoint,
                               "TRIP_COMPANION_S3_REGION": "eu-west-2"})
    assert isinstance(store, S3Store)
    store.client.create_bucket(Bucket="from-config",
                               CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    store.put("x.jpg", b"x", "image/jpeg")
    assert store.get("x.jpg") == b"x"


@pytest.mark.parametrize("config", [{"STORAGE": "ftp"}, {"STORAGE": "s3"}])
def test_config_errors_are_clear(config):
    with pytest.raises(ValueError, match=r"ftp|S3_BUCKET"):
        store_from_config(config)
