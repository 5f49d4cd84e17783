"""Find pupils' names in a text without crying wolf at "Will", "May" or "Grace".

How a register name counts as a mention (documented so it can be argued with):

* A full name ("Josh Smith", "Bill Smith" for a preferred name) always counts.
* A first or preferred name counts in any case ("josh", "JOSH", "Zoe" for
  "Zoë", "Amy's", "#WellDoneJosh") unless it follows "St"/"Mount" or a title
  ("Mrs", "Dr"), or leads into "Primary", "Academy", "FC"…: a place or an adult.
* A name that is also an everyday word ("Will", "May", "Grace", "Hope",
  "Summer", "Rose", "Mark", "Bill"…: data/common_word_names.txt plus any name
  the dictionary sees as a common lowercase word) needs a name-like context:
  capitalised mid-sentence outside a Headline Style text and not part of a
  capitalised phrase ("Summer Fair", "Amazing Grace"); a capitalised possessive
  ("Grace's"); a praise cue before it ("well done", "congratulations to") or
  after it ("Will, well done"); or a list with another pupil's name ("Josh,
  Will and Amy"). Months ("May", "June") don't count after "in"/"on" or next
  to a number.
* A name the school put in its vocabulary (a place such as "Chester") needs
  the strong context only: a cue, its surname, or a list of names.
* A surname alone counts only when capitalised and never after a title ("Mrs
  Smith" is staff); it is reported as a warning, not a block (see names.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import context as ctx
from .model import Pupil
from .register import FIRST, FULL, SURNAME, NameEntry, RegisterIndex, is_common_word
from .text import Analysis, Token, fold, joined

_LIST_GAP = (",", "&", "+")
_HASHTAG_CUES = (
    "welldoneto",
    "welldone",
    "congratulationsto",
    "congratulations",
    "congrats",
    "goodluck",
    "happybirthday",
    "thankyou",
    "thanks",
    "bravo",
    "shoutoutto",
)


@dataclass
class NameMatch:
    """Tokens first..last (inclusive) spell a register name."""

    first: int
    last: int
    start: int
    end: int
    kind: str  # FULL, FIRST or SURNAME: the strongest reading
    entries: list[NameEntry] = field(default_factory=list)
    counts: bool = False

    @property
    def pupils(self) -> list[Pupil]:
        """The pupils this match could be, strongest reading only."""
        return list(dict.fromkeys(e.pupil for e in self.entries if e.kind == self.kind))


def find_names(a: Analysis, index: RegisterIndex, vocabulary: frozenset[str]) -> list[NameMatch]:
    """Return the register names this text mentions (see the module docstring)."""
    matches = list(_scan(a.tokens, index))
    for m in matches:
        m.counts = _counts(a, m, index, vocabulary)
    counted = {i for m in matches if m.counts for i in (m.first, m.last)}
    for m in matches:
        if not m.counts and m.kind != SURNAME and _in_list(a.tokens, m, counted):
            m.counts = not _is_place(a.tokens, m)
    found = [m for m in matches if m.counts]
    return found + _hashtag_names(a, index, found)


def _scan(tokens: tuple[Token, ...], index: RegisterIndex):
    i = 0
    while i < len(tokens):
        match = _match_at(tokens, i, index.by_word.get(tokens[i].norm, ()))
        if match is None:
            i += 1
            continue
        yield match
        i = match.last + 1


def _match_at(tokens: tuple[Token, ...], i: int, entries: tuple[NameEntry, ...]):
    for entry in entries:  # longest names first
        last = i + len(entry.words) - 1
        if last < len(tokens) and _spells(tokens, i, entry.words):
            same = [e for e in entries if e.words == entry.words]
            kind = next(k for k in (FULL, FIRST, SURNAME) if any(e.kind == k for e in same))
            return NameMatch(i, last, tokens[i].start, tokens[last].end, kind, same)
    return None


def _spells(tokens: tuple[Token, ...], i: int, words: tuple[str, ...]) -> bool:
    return all(
        tokens[i + k].norm == word and (k == 0 or joined(tokens[i + k - 1], tokens[i + k]))
        for k, word in enumerate(words)
    )


def _counts(a: Analysis, m: NameMatch, index: RegisterIndex, vocab: frozenset[str]) -> bool:
    tokens, tok = a.tokens, a.tokens[m.first]
    if m.kind == FULL:
        return True
    if _is_place(tokens, m):
        return False
    if ctx.cue_before(tokens, m.first) is not None or ctx.cue_after(tokens, m.last) is not None:
        return True
    if m.kind == SURNAME:
        plain = (tok.cap or tok.upper) and not is_common_word(tok.norm)
        return plain or (tok.cap and _weak_context(a, m, index))
    if tok.norm in vocab:
        return False
    return tok.norm not in index.common_words or _weak_context(a, m, index)


def _is_place(tokens: tuple[Token, ...], m: NameMatch) -> bool:
    return ctx.after_title_or_place(tokens, m.first) or ctx.before_org_word(tokens, m.last)


def _weak_context(a: Analysis, m: NameMatch, index: RegisterIndex) -> bool:
    """Capitalised mid-sentence (not in a phrase or a date), or a capitalised possessive."""
    tokens, tok = a.tokens, a.tokens[m.last]
    month = tok.norm in ctx.MONTHS
    if tok.possessive and tok.cap and not month:
        return True
    if tok.tag >= 0 or not tok.cap or tok.sentence_start or a.title_case:
        return False
    if month and _dated(tokens, m.first):
        return False
    return not _in_capitalised_phrase(tokens, m, index)


def _dated(tokens: tuple[Token, ...], i: int) -> bool:
    before = tokens[i - 1] if i else None
    after = tokens[i + 1] if i + 1 < len(tokens) else None
    if before and (before.low in ctx.TEMPORAL or before.text[0].isdigit()):
        return True
    return bool(after and after.text[0].isdigit())


def _in_capitalised_phrase(tokens: tuple[Token, ...], m: NameMatch, index: RegisterIndex) -> bool:
    before = tokens[m.first - 1] if m.first else None
    if before and joined(before, tokens[m.first]) and before.cap:
        return True
    after = tokens[m.last + 1] if m.last + 1 < len(tokens) else None
    return bool(
        after and joined(tokens[m.last], after) and after.cap and after.norm not in index.by_word
    )


def _in_list(tokens: tuple[Token, ...], m: NameMatch, counted: set[int]) -> bool:
    """Say whether the match sits in a list with a name already found: "Josh, Will and Amy"."""
    for near, link in ((m.first - 1, m.first), (m.last + 1, m.last + 1)):
        if not 0 <= near < len(tokens) or not 0 <= link < len(tokens):
            continue
        if near in counted and any(c in tokens[link].gap for c in _LIST_GAP):
            return True
        word = tokens[near]
        beyond = near - 1 if near < m.first else near + 1
        if word.low in ("and", "or") and beyond in counted:
            return True
    return False


def _hashtag_names(a: Analysis, index: RegisterIndex, found: list[NameMatch]) -> list[NameMatch]:
    """Find names run together in lowercase hashtags: #joshsmith, #welldonejosh."""
    out = []
    for start, end in a.hashtags:
        if any(start <= m.start < end for m in found):
            continue
        body = fold(a.text[start + 1 : end]).replace("_", "")
        entries = _joined_full(body, index) or _after_cue(body, index)
        if entries:
            out.append(NameMatch(-1, -1, start, end, entries[0].kind, entries, counts=True))
    return out


def _joined_full(body: str, index: RegisterIndex) -> list[NameEntry]:
    for size in range(len(body), 4, -1):  # five letters or more
        for at in range(len(body) - size + 1):
            name = body[at : at + size]
            if name in index.joined_full:
                return [NameEntry(p, FULL, (name,)) for p in index.joined_full[name]]
    return []


def _after_cue(body: str, index: RegisterIndex) -> list[NameEntry]:
    pupils = hashtag_cue_name(body, index)
    return [NameEntry(p, FIRST, (body,)) for p in pupils or ()]


def hashtag_cue_name(body: str, index: RegisterIndex) -> tuple | None:
    """Return the pupils named after a cue in a run-together hashtag: "welldonejosh"."""
    body = body.replace("_", "")
    for cue in _HASHTAG_CUES:
        name = body[len(cue) :] if body.startswith(cue) else ""
        if name in index.given:
            return index.given[name]
    return None
