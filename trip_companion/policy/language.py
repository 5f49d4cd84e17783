"""R6 (no @mentions) and R8 (Standard English, hashtags only at the end).

Severities: @mentions and text-speak are warnings, as the seeds ask ("to be
avoided", "will not contain 'text language'"). A word the dictionary doesn't
know is only *info* with a suggestion: dictionaries miss place names and school
words ("abseiling" is known, "Kingswood" isn't), and a false alarm must not
hold a post until a senior leader overrides it. Capitalised words mid-sentence
(names of people and places), words in the school's vocabulary and pupils'
names are never spell-checked.
"""

from __future__ import annotations

from collections.abc import Iterable

from .context import folded
from .model import Draft, Finding, Profile, Pupil
from .register import RegisterIndex, compile_register
from .seeds import finding
from .spelling import is_known, suggest
from .text import Analysis, Token, analyse, data_lines, fold

TEXTSPEAK = dict([*line.split("\t"), ""][:2] for line in data_lines("textspeak.tsv"))


def check_mentions(draft: Draft, profile: Profile) -> list[Finding]:
    """R6: warn about @mentions of other accounts (e-mail addresses are not mentions)."""
    allowed = {fold(h.lstrip("@")) for h in profile.allowed_mentions}
    out = []
    for start, end in analyse(draft.caption).mentions:
        handle = draft.caption[start:end]
        if fold(handle[1:]) not in allowed:
            msg = f"'{handle}' tags another account. Avoid @mentions: name them in words instead."
            out.append(
                finding("R6", "001", "warn", msg, start=start, end=end, fix="their name in words")
            )
    return out


def check_language(
    draft: Draft, register: RegisterIndex | Iterable[Pupil], profile: Profile
) -> list[Finding]:
    """R8: text-speak, misspellings and hashtags in the middle of the caption."""
    a = analyse(draft.caption)
    skip = folded(profile.vocabulary)
    index = compile_register(register)
    out = _hashtags_mid_text(a)
    for tok in a.tokens:
        if tok.tag >= 0:
            continue
        if _is_textspeak(tok):
            out.append(_textspeak(tok))
        elif _worth_spellchecking(tok, a.text) and not _known(tok, skip, index):
            out.append(_misspelt(tok))
    return out


def _is_textspeak(tok: Token) -> bool:
    if tok.low not in TEXTSPEAK:
        return False
    # "u", "r", "bc" only lowercase: "Year R", "300 BC" and "U11" are fine.
    return len(tok.low) > 2 or tok.text == tok.text.lower()


def _textspeak(tok: Token) -> Finding:
    standard = TEXTSPEAK[tok.low]
    advice = f"Write it in full: '{standard}'." if standard else "Leave it out."
    msg = f"'{tok.text}' is text-speak. {advice}"
    return finding(
        "R8", "003", "warn", msg, start=tok.start, end=tok.end, fix=standard or "leave it out"
    )


def _worth_spellchecking(tok: Token, text: str) -> bool:
    if text[tok.end : tok.end + 1] == "*" or tok.gap.endswith("*"):
        return False  # part of a masked word ("f*ck"): R9's business
    if tok.upper or len(tok.text) < 2 or not tok.text.replace("'", "").replace("’", "").isalpha():
        return False
    return not (tok.cap and not tok.sentence_start)  # a proper noun: a person or a place


def _known(tok: Token, skip: frozenset[str], index: RegisterIndex) -> bool:
    if tok.norm in skip or tok.norm in index.by_word or tok.norm in index.class_words:
        return True
    return is_known(tok.low) or is_known(tok.norm)


def _misspelt(tok: Token) -> Finding:
    better = suggest(tok.text.lower())
    advice = f" — did you mean '{better}'?" if better else "."
    msg = f"Check the spelling of '{tok.text}'{advice}"
    return finding("R8", "002", "info", msg, start=tok.start, end=tok.end, fix=better)


def _hashtags_mid_text(a: Analysis) -> list[Finding]:
    words = [t.end for t in a.tokens if t.tag < 0]
    last_word = max(words, default=0)
    out = []
    for start, end in a.hashtags:
        if start < last_word:
            tag = a.text[start:end]
            msg = f"'{tag}' is in the middle of the text. Hashtags go at the end."
            out.append(
                finding(
                    "R8", "003", "warn", msg, start=start, end=end, fix=f"move {tag} to the end"
                )
            )
    return out
