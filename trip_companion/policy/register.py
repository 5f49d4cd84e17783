"""The pupil register compiled once into lookup tables.

A 400-pupil register is checked on every keystroke of the compose screen, so
names are folded and indexed once per register (cached by its contents).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

from .model import Pupil
from .spelling import word_frequency
from .text import WORD_RE, data_lines, fold

FULL, FIRST, SURNAME = "full", "first", "surname"
# A lowercase word this common in the spelling dictionary reads as a word, not
# a name ("will", "may", "grace"); rarer names ("josh", "emma") don't.
COMMON_WORD_FREQUENCY = 10_000


@dataclass(frozen=True)
class NameEntry:
    """One way of writing one pupil's name, as folded tokens."""

    pupil: Pupil
    kind: str  # FULL, FIRST or SURNAME
    words: tuple[str, ...]


@dataclass(frozen=True)
class RegisterIndex:
    """Every pupil's names, folded, keyed by their first word."""

    pupils: tuple[Pupil, ...]
    by_word: dict[str, tuple[NameEntry, ...]]  # longest names first
    joined_full: dict[str, tuple[Pupil, ...]]  # "joshsmith", for #joshsmith
    given: dict[str, tuple[Pupil, ...]]  # first and preferred names, words run together
    initials: dict[str, tuple[Pupil, ...]]  # "js"
    common_words: frozenset[str]  # names in this register that are also words
    class_words: frozenset[str]  # words of class names ("owls", "oak")

    def __len__(self) -> int:
        return len(self.pupils)


def name_words(name: str | None) -> tuple[str, ...]:
    """Fold a name into the words the caption tokenizer would see."""
    return tuple(fold(m.group()) for m in WORD_RE.finditer(name or ""))


def compile_register(pupils: Iterable[Pupil] | RegisterIndex) -> RegisterIndex:
    """Return the index for these pupils, building it only the first time."""
    if isinstance(pupils, RegisterIndex):
        return pupils
    return _compile(tuple(pupils))


@lru_cache(maxsize=16)
def _compile(pupils: tuple[Pupil, ...]) -> RegisterIndex:
    by_word: defaultdict[str, list[NameEntry]] = defaultdict(list)
    joined: defaultdict[str, list[Pupil]] = defaultdict(list)
    given: defaultdict[str, list[Pupil]] = defaultdict(list)
    initials: defaultdict[str, list[Pupil]] = defaultdict(list)
    for entry in (e for p in pupils for e in _entries(p)):
        by_word[entry.words[0]].append(entry)
        if entry.kind == FULL:
            joined["".join(entry.words)].append(entry.pupil)
            initials[initials_of(entry.pupil, entry.words[0]).lower()].append(entry.pupil)
        elif entry.kind == FIRST:
            given["".join(entry.words)].append(entry.pupil)
    return RegisterIndex(
        pupils=pupils,
        by_word={
            w: tuple(sorted(set(es), key=lambda e: -len(e.words))) for w, es in by_word.items()
        },
        joined_full=_freeze(joined),
        given=_freeze(given),
        initials=_freeze(initials),
        common_words=frozenset(n for n in given if is_common_word(n)),
        class_words=frozenset(w for p in pupils for w in name_words(p.class_name)),
    )


def _entries(pupil: Pupil) -> list[NameEntry]:
    surname = name_words(pupil.surname)
    givens = {name_words(pupil.first_name), name_words(pupil.preferred_name)} - {()}
    out = [NameEntry(pupil, SURNAME, surname)] if surname else []
    for words in givens:
        out.append(NameEntry(pupil, FIRST, words))
        if surname:
            out.append(NameEntry(pupil, FULL, words + surname))
    return out


def _freeze(table: dict[str, list[Pupil]]) -> dict[str, tuple[Pupil, ...]]:
    return {key: tuple(dict.fromkeys(value)) for key, value in table.items()}


def is_common_word(name: str) -> bool:
    """Say whether a folded first name is also an everyday word ("will", "rose")."""
    return name in _common_word_names() or word_frequency(name) >= COMMON_WORD_FREQUENCY


@cache
def _common_word_names() -> frozenset[str]:
    return frozenset(data_lines("common_word_names.txt"))


def class_label(pupils: Iterable[Pupil]) -> str | None:
    """Return the one class these pupils share, if they share one."""
    classes = {p.class_name for p in pupils if p.class_name}
    return classes.pop() if len(classes) == 1 else None


def initials_of(pupil: Pupil, given: str | None = None) -> str:
    """Return "JS" for John Smith, the form seed 001 allows with unidentifiable photos."""
    first = given or (name_words(pupil.first_name) or ("?",))[0]
    last = (name_words(pupil.surname) or ("?",))[0]
    return (first[0] + last[0]).upper()
