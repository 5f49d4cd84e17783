"""Alt text: every photo needs a description a screen-reader user can follow.

Not one of the seeds' rules but plain accessibility, and the school's feed is
public. Missing or meaningless alt text ("image", "IMG_1234.jpg", one word)
is a warning: a senior leader can still post, with a reason. The alt text is
also checked by R2 (names), R9 (language) and R19 (personal data) in their
own modules, with findings for the field "alt:<photo index>".
"""

from __future__ import annotations

import regex

from .model import Draft, Finding
from .seeds import finding

MIN_WORDS = 3
_GENERIC = {"image", "photo", "picture", "pic", "img", "photograph", "untitled", "screenshot"}
_GENERIC |= {"alt", "alt text", "description", "no description", "an image", "a photo"}
_FILE_NAME = regex.compile(
    r"\S+\.(?:jpe?g|png|heic|heif|gif|webp|tiff?)|(?:img|dsc|dscn|pxl|dcim|photo)[_\- ]?\d+",
    regex.IGNORECASE,
)
_EXAMPLE = "e.g. 'Year 4 building a shelter in the woods'"


def check_alt_text(draft: Draft) -> list[Finding]:
    """Warn about photos whose alt text is missing, generic or too short."""
    out = []
    for i, photo in enumerate(draft.photos):
        problem = _problem((photo.alt_text or "").strip())
        if problem:
            msg = f"Photo {i + 1} {problem}. Describe what it shows, {_EXAMPLE}."
            out.append(
                finding(
                    "ALT", None, "warn", msg, field=f"alt:{i}", fix="describe what the photo shows"
                )
            )
    return out


def _problem(alt: str) -> str | None:
    if not alt:
        return "has no description"
    if alt.lower().strip(".!") in _GENERIC:
        return f"is described only as '{alt}'"
    if _FILE_NAME.fullmatch(alt):
        return "is described by its file name"
    if len(regex.findall(r"\w+", alt)) < MIN_WORDS:
        return f"has too short a description ('{alt}')"
    return None
