"""R19: no personal information — phone numbers, e-mail, home addresses, birthdays.

All are blocks: once posted they can't be taken back. The school's own
published contacts (the office phone, its address) are listed in the profile's
`public_contacts` and may appear. Caption and alt text are both checked.

Heuristics: UK numbers only (07 mobiles, 01/02/03/08 numbers, +44); an address
is a house number, capitalised words and a street word ("12 Acacia Avenue"),
not after "Year"/"Class" ("Year 4 Park Walk" is not an address); postcodes
must start with a real UK postcode area, which keeps "Y4 3PM" out.
"""

from __future__ import annotations

from functools import lru_cache

import regex

from .model import Draft, Finding, Profile
from .seeds import finding
from .text import EMAIL_RE, fold, word_set

PHONE_RE = regex.compile(
    r"(?<![\w+])(?:\+44\s?(?:\(0\)\s?)?|0044\s?|\(?0)\d(?:[\s\-()]{0,2}\d){8,9}(?!\d)"
)
_STREET_WORDS = (
    "Road|Rd|Street|St|Lane|Ln|Avenue|Ave|Close|Drive|Dr|Way|Crescent|Cres|Court|Ct|Place|Grove|"
    "Gardens|Terrace|Mews|Square|Row|Walk|Rise|View|Parade|Green|Vale|Hill|Park"
)
STREET_RE = regex.compile(
    rf"(?<![\w.,:–-])\d{{1,4}}[A-Za-z]?,?\s+(?:\p{{Lu}}[\p{{L}}'’\-]*\s+){{1,3}}(?:{_STREET_WORDS})\b"
)
_NOT_A_HOUSE = word_set("not_a_house")
_AREAS = sorted(word_set("postcode_areas"))
POSTCODE_RE = regex.compile(rf"\b(?:{'|'.join(_AREAS)})\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{{2}}\b")
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATE = (
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{4}})?"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    r"|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|(?:in\s+)?\d{4})"
)
DOB_RE = regex.compile(
    rf"\b(?:d\.o\.b\.?|dob\b|date\s+of\s+birth|born\s+(?:on\s+)?(?:the\s+)?{_DATE}"
    r"|b(?:irth)?[-'’]?days?\b|turns?\s+\d{1,2}\s+today)",
    regex.IGNORECASE,
)
_KINDS = (
    ("phone", PHONE_RE, "A phone number"),
    ("email", EMAIL_RE, "An e-mail address"),
    ("address", STREET_RE, "A home address"),
    ("postcode", POSTCODE_RE, "A postcode"),
    ("birth", DOB_RE, "A date of birth or birthday"),
)


def check_personal_data(draft: Draft, profile: Profile) -> list[Finding]:
    """R19: block phone numbers, e-mail and home addresses, postcodes and birthdays."""
    public = _public(profile.public_contacts)
    out = []
    for field, text in draft.fields():
        for kind, pattern, what in _KINDS:
            for m in pattern.finditer(text):
                if _counts(kind, m, text) and _normal(m.group()) not in public:
                    out.append(_finding(kind, what, m, field))
    return out


def _counts(kind: str, m: regex.Match, text: str) -> bool:
    if kind == "phone":
        digits = _national(m.group())
        return len(digits) in (10, 11) and digits[1] in "12378"
    if kind == "address":
        before = regex.findall(r"[\w]+", text[max(0, m.start() - 12) : m.start()])
        return not before or before[-1].lower() not in _NOT_A_HOUSE
    return True


def _finding(kind: str, what: str, m: regex.Match, field: str) -> Finding:
    said = m.group()
    if kind == "birth":
        msg = (
            f"{what} ('{said}') is personal information and can't be posted. "
            "For the school's own, say 'anniversary'."
        )
    else:
        msg = f"{what} ('{said}') is personal information and can't be posted."
    return finding(
        "R19", "004", "block", msg, start=m.start(), end=m.end(), fix="leave it out", field=field
    )


def _national(number: str) -> str:
    digits = regex.sub(r"\D", "", number)
    for prefix in ("0044", "440", "44"):
        if digits.startswith(prefix) and number.lstrip().startswith(("+", "00")):
            return "0" + digits[len(prefix) :].lstrip("0")
    return digits


def _normal(value: str) -> str:
    """Compare contacts loosely: digits for numbers, no spaces or case otherwise."""
    if regex.fullmatch(r"[\d\s\-()+]+", value):
        return _national(value)
    return regex.sub(r"\s", "", fold(value))


@lru_cache(maxsize=16)
def _public(contacts: frozenset[str]) -> frozenset[str]:
    return frozenset(_normal(c) for c in contacts)
