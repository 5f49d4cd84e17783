"""Count text the way each network does, so a post is refused before it is sent.

Bluesky and Mastodon count grapheme clusters (a family emoji is one); X weighs
characters (Latin 1, CJK and emoji 2, every URL 23). Counting here is a courtesy:
the network stays the judge, and its 4xx still becomes a PermanentFailure.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import regex

from trip_companion.publish.base import Limits, OutgoingPost
from trip_companion.publish.errors import PermanentFailure

URL = regex.compile(r"https?://[^\s]+")
HASHTAG = regex.compile(r"(?<![\w#])#(\p{L}[\p{L}\p{N}_]*)")
URL_WEIGHT = 23
# twitter-text v3 config: these code point ranges weigh 1, everything else 2.
_X_LIGHT = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))


def graphemes(text: str) -> int:
    """Count user-perceived characters (Unicode extended grapheme clusters)."""
    return len(regex.findall(r"\X", text))


def utf8_length(text: str) -> int:
    """Count UTF-8 bytes (Bluesky's second limit)."""
    return len(text.encode("utf-8"))


def x_weighted_length(text: str) -> int:
    """Approximate X's weighted length: URLs 23, emoji and most non-Latin scripts 2."""
    text = unicodedata.normalize("NFC", text)
    total = 0
    for part in regex.split(r"(https?://[^\s]+)", text):
        if URL.fullmatch(part):
            total += URL_WEIGHT
            continue
        for cluster in regex.findall(r"\X", part):
            total += 2 if _is_emoji(cluster) else sum(_x_weight(c) for c in cluster)
    return total


def check_post(post: OutgoingPost, limits: Limits, name: str,
               length: Callable[[str], int] = graphemes) -> None:
    """Refuse, in words a teacher can act on, a post the network would refuse anyway.

    :raises PermanentFailure: too many photos, a photo too large, or text too long.
    """
    if len(post.images) > limits.max_images:
        msg = f"{name} takes at most {limits.max_images} photos per post; remove some."
        raise PermanentFailure(msg)
    for number, image in enumerate(post.images, start=1):
        if len(image.data) > limits.max_image_bytes:
            msg = (f"Photo {number} is too large for {name} "
                   f"({len(image.data):,} bytes; the limit is {limits.max_image_bytes:,}).")
            raise PermanentFailure(msg)
        if graphemes(image.alt) > limits.max_alt_chars:
            msg = f"The description of photo {number} is too long for {name}; shorten it."
            raise PermanentFailure(msg)
    if (used := length(post.text)) > limits.max_chars:
        msg = (f"The text is too long for {name}: {used} characters, "
               f"the limit is {limits.max_chars}. Shorten it.")
        raise PermanentFailure(msg)


def _is_emoji(cluster: str) -> bool:
    return any(ord(c) >= 0x1F000 or c in "\u200d\ufe0f" for c in cluster)


def _x_weight(char: str) -> int:
    code = ord(char)
    return 1 if any(lo <= code <= hi for lo, hi in _X_LIGHT) else 2
