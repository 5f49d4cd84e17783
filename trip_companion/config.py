"""Configuration: safe defaults in code, overrides from ``TRIP_COMPANION_*`` variables."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PREFIX = "TRIP_COMPANION_"


def defaults(data_dir: Path) -> dict[str, Any]:
    """Return the embedded defaults: SQLite and files inside the data dir, local publisher."""
    return {
        # Everything the app writes lives here: database, clean photos, key files.
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'trip-companion.sqlite3'}",
        # Where clean photos are kept: "local" (DATA_DIR/media) or "s3".
        "STORAGE": "local",
        # Flask-Limiter storage; "memory://" suits one process, use redis:// for several.
        "RATELIMIT_STORAGE_URI": "memory://",
        "LOGIN_RATE_LIMIT": "10 per minute",
        # Cookies: HttpOnly and SameSite=Lax always; Secure whenever the request is HTTPS.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "tc_session",
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 12,
        # Largest request we read at all (a phone photo after downscaling is far smaller).
        "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
        # Number of reverse proxies in front of us whose X-Forwarded-* headers we trust.
        "TRUSTED_PROXIES": 0,
        "WTF_CSRF_TIME_LIMIT": None,
    }


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read ``TRIP_COMPANION_*`` variables, parsing ints and booleans where they look like them."""
    environ = os.environ if environ is None else environ
    found: dict[str, Any] = {}
    for name, raw in environ.items():
        if name.startswith(PREFIX) and len(name) > len(PREFIX):
            found[name[len(PREFIX):]] = _parse(raw)
    return found


def _parse(raw: str) -> Any:
    lowered = raw.strip().lower()
    if lowered in {"true", "yes", "on"}:
        return True
    if lowered in {"false", "no", "off"}:
        return False
    if lowered.isdigit():
        return int(lowered)
    return raw


def load(test_config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Build the configuration: defaults, then the environment, then the test mapping."""
    env = from_environment()
    overrides = {**env, **(test_config or {})}
    data_dir = Path(overrides.get("DATA_DIR", "instance")).resolve()
    config = {**defaults(data_dir), **overrides}
    config["DATA_DIR"] = str(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = secret_key(data_dir)
    return config


def secret_key(data_dir: Path) -> str:
    """Return the key in ``DATA_DIR/secret_key``, creating it (mode 0600) on first run."""
    path = data_dir / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
