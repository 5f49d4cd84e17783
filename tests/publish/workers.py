"""A publishing worker as its own process would run it (importable by spawn)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trip_companion.publish import OutgoingPost
from trip_companion.publish.credentials import FileCredentialStore
from trip_companion.publish.x import XPublisher


def publish_to_x(store_dir: str, key: bytes, base_url: str, text: str, barrier: Any,
                 results: Any) -> None:
    """Open the shared store, wait for the other workers, publish, report the outcome."""
    store = FileCredentialStore(Path(store_dir), key)
    with XPublisher(store, base_url=base_url, timeout=10) as x:
        barrier.wait(timeout=30)
        try:
            published = x.publish(OutgoingPost(key=text, text=text,
                                               created_at=datetime.now(UTC)))
            results.put(("ok", published.remote_id))
        except Exception as exc:  # report, don't hang the parent
            results.put(("error", repr(exc)))
