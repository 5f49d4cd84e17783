"""Values the publisher tests share: photos as the caller renders them, and posts."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime

from PIL import Image as PILImage

from trip_companion.publish import Image, OutgoingPost

# Client timeout in the fake-server tests; a "slow" fault stalls longer than this.
TIMEOUT = 1.0
STALL = 2.0


def jpeg(width: int, height: int, shade: int = 0) -> bytes:
    """A small JPEG with no metadata, as the caller renders it."""
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), (40 + shade, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def photos(count: int = 4) -> tuple[Image, ...]:
    """``count`` distinct photos with alt text and their sizes."""
    sizes = [(64, 48), (48, 64), (60, 60), (80, 45)]
    return tuple(Image(jpeg(w, h, shade=i * 20), f"Photo {i + 1}: pupils building a raft",
                       w, h) for i, (w, h) in enumerate(sizes[:count]))


def outgoing(key: str = "post-1", text: str = "Year 5 built rafts at the lake today!",
             count: int = 2, attempt: int = 1) -> OutgoingPost:
    """A post as the worker hands it over."""
    return OutgoingPost(key=key, text=text, images=photos(count),
                        created_at=datetime.now(UTC), attempt=attempt)


def wait_for(predicate, seconds: float = 3.0) -> None:
    """Poll until ``predicate()`` holds; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
