"""Post length, counted the way each network counts it.

* X: twitter-text's weighted length (config v3): code points up to U+10FF and
  a few punctuation ranges weigh 1, everything else (CJK…) 2, every emoji
  sequence 2, every link 23 whatever its length; 280 allowed.
* Bluesky: 300 graphemes (a family emoji is one).
* Mastodon: 500 graphemes by default, instance-configurable; a link counts 23
  and a remote mention counts only its "@user" part.
* Facebook: 63,206 characters, counted here as graphemes.
* The school's own feed: graphemes, with a generous limit that keeps the page tidy.
"""

from __future__ import annotations

import unicodedata

import regex

from .model import Draft, Finding, Profile
from .seeds import finding
from .text import URL_RE, trim_url

LIMITS = {"x": 280, "bluesky": 300, "mastodon": 500, "facebook": 63_206, "feed": 5000}
ALIASES = {"twitter": "x", "bsky": "bluesky", "fediverse": "mastodon", "school": "feed"}
NAMES = {
    "x": "X",
    "bluesky": "Bluesky",
    "mastodon": "Mastodon",
    "facebook": "Facebook",
    "feed": "the school feed",
}
URL_LENGTH = 23
_X_LIGHT = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
# Anything outside those ranges, or an emoji's presentation selector or keycap.
_HEAVY = regex.compile("[^" + "".join(f"\\u{low:04X}-\\u{high:04X}" for low, high in _X_LIGHT)
                       + "]|\\uFE0F|\\u20E3")
_GRAPHEME = regex.compile(r"\X")
_EMOJI = regex.compile(r"\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F|\u20E3|\p{RI}")
_SCHEMED_URL = regex.compile(r"https?://[^\s<>\"]+[^\s<>\".,!?:;)'’]")
_REMOTE_MENTION = regex.compile(r"(?<![\w@.])(@\w+)@[\w-]+(?:\.[\w-]+)+")


def network_name(network: str) -> str:
    """Return the canonical key for a network ("twitter" -> "x")."""
    key = ALIASES.get(network.lower(), network.lower())
    if key not in LIMITS:
        msg = f"unknown network {network!r}; expected one of {sorted(LIMITS)}"
        raise ValueError(msg)
    return key


def limit(network: str, **overrides: int) -> int:
    """Return the network's limit; overrides by network key, e.g. mastodon=1000."""
    key = network_name(network)
    return overrides.get(key, LIMITS[key])


def count(text: str, network: str) -> int:
    """Count `text` the way `network` does."""
    key = network_name(network)
    if key == "x":
        return _x_weighted(text)
    if key == "mastodon":
        text = _REMOTE_MENTION.sub(r"\1", _SCHEMED_URL.sub("x" * URL_LENGTH, text))
    return len(_GRAPHEME.findall(text))


def _x_weighted(text: str) -> int:
    text = unicodedata.normalize("NFC", text)
    total, last = 0, 0
    for m in URL_RE.finditer(text):
        total += _x_plain(text[last : m.start()]) + URL_LENGTH
        last = trim_url(text, m.span())[1]
    return total + _x_plain(text[last:])


def _x_plain(text: str) -> int:
    if not _HEAVY.search(text):
        return len(text)  # the usual caption: every code point weighs 1
    total = 0
    for cluster in _GRAPHEME.findall(text):
        if _EMOJI.search(cluster):
            total += 2
        else:
            total += sum(1 if _light(ord(c)) else 2 for c in cluster)
    return total


def _light(code: int) -> bool:
    return any(low <= code <= high for low, high in _X_LIGHT)


def check_length(draft: Draft, profile: Profile, networks: tuple[str, ...]) -> list[Finding]:
    """Block a caption that a network would refuse as too long."""
    overrides = dict(profile.length_limits)
    out = []
    for network in networks:
        used, most = count(draft.caption, network), limit(network, **overrides)
        if used > most:
            name = NAMES[network_name(network)]
            msg = f"Too long for {name}: {used} of {most} characters. Cut {used - most}."
            out.append(
                finding(
                    "LEN",
                    None,
                    "block",
                    msg,
                    fix=f"cut {used - most} characters",
                    start=None,
                    end=None,
                )
            )
    return out
