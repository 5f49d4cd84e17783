"""Count text the way each network does, so a post is refused before it is sent.

Bluesky and Mastodon count grapheme clusters (a family emoji is one); X weighs
characters the twitter-text way, which ``policy.count`` implements (the compose page's
check and this one must agree). Counting here is a courtesy:
the network stays the judge, and its 4xx still becomes a PermanentFailure.
"""

from __future__ import annotations

import unicodedata

import regex

from trip_companion.policy import count
from trip_companion.publish.base import Limits, OutgoingPost
from trip_companion.publish.errors import PermanentFailure

URL = regex.compile(r"https?://[^\s]+")
HASHTAG = regex.compile(r"(?<![\w#])#(\p{L}[\p{L}\p{N}_]*)")


def graphemes(text: str) -> int:
    """Count user-perceived characters (Unicode extended grapheme clusters)."""
    return len(regex.findall(r"\X", text))


def words(text: str) -> list[str]:
    """A post's text as its words: how to tell our post from the copy a network gives back.

    Networks re-space what they store, and may re-normalise it (NFC).
    """
    return unicodedata.normalize("NFC", text).split()


def utf8_length(text: str) -> int:
    """Count UTF-8 bytes (Bluesky's second limit)."""
    return len(text.encode("utf-8"))


def check_post(post: OutgoingPost, limits: Limits, name: str, network: str) -> None:
    """Refuse, in words a teacher can act on, a post the network would refuse anyway.

    The text is counted as ``network`` counts it, by ``policy.count``: the compose page's
    check uses the same, so what it allowed is not refused here.

    :raises PermanentFailure: too many photos, a photo too large, or text too long.
    """
    if len(post.images) > limits.max_images:
        msg = f"{name[:1].upper()}{name[1:]} takes at most {limits.max_images} photos per post; " \
            "remove some."
        raise PermanentFailure(msg)
    for number, image in enumerate(post.images, start=1):
        if len(image.data) > limits.max_image_bytes:
            msg = (f"Photo {number} is too large for {name} "
                   f"({len(image.data):,} bytes; the limit is {limits.max_image_bytes:,}).")
            raise PermanentFailure(msg)
        if graphemes(image.alt) > limits.max_alt_chars:
            msg = f"The description of photo {number} is too long for {name}; shorten it."
            raise PermanentFailure(msg)
    if (used := count(post.text, network)) > limits.max_chars:
        msg = (f"The text is too long for {name}: {used} characters, "
               f"the limit is {limits.max_chars}. Shorten it.")
        raise PermanentFailure(msg)
