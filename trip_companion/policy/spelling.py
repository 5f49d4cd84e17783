"""The spelling dictionary, taught British English.

pyspellchecker's English list is American ("colour" is unknown), so a word it
doesn't know is also tried with the regular British-to-American rewrites
(our→or, ise→ize, tre→ter, …) before it is called a misspelling; the few
irregular words live in data/british.txt. The dictionary loads once, lazily
(~0.1 s), and every lookup after that is a dict probe.
"""

from __future__ import annotations

from functools import cache, lru_cache

import regex
from spellchecker import SpellChecker

from .text import data_lines

# British ending or spelling -> American, tried one at a time and all together.
_REWRITES = tuple(
    (regex.compile(pattern), replacement)
    for pattern, replacement in (
        (r"our", "or"),  # colour, behaviour, favourite
        (r"is(e|ed|es|ing|ation|ations|er|ers)$", r"iz\1"),  # organise, realisation
        (r"ys(e|ed|es|ing)$", r"yz\1"),  # analyse
        (r"tre(s?)$", r"ter\1"),  # centre, theatre, metres
        (r"mme(s?)$", r"m\1"),  # programme
        (r"ae", "e"),  # paediatric
        (r"oe", "e"),  # oestrogen
        (r"ence$", "ense"),  # defence, licence
        (r"ll(ed|ing|er|ers)$", r"l\1"),  # travelled, cancelling
        (r"ogue(s?)$", r"og\1"),  # catalogue
        (r"sc", "sk"),  # sceptical
        (r"yre(s?)$", r"ire\1"),  # tyres
        (r"ould$", "old"),  # mould
        (r"ough$", "ow"),  # plough
        (r"eing$", "ing"),  # ageing
        (r"ement$", "ment"),  # judgement
    )
)


@cache
def speller() -> SpellChecker:
    """Load the English dictionary once; distance 1 keeps suggestions fast."""
    return SpellChecker(language="en", distance=1)


@cache
def _extra_words() -> frozenset[str]:
    return frozenset(data_lines("british.txt") + data_lines("school_words.txt"))


def word_frequency(word: str) -> int:
    """Return how often the dictionary saw this lowercase word (0 if never)."""
    return speller().word_frequency[word]


@lru_cache(maxsize=50_000)
def is_known(word: str) -> bool:
    """Say whether a lowercase word is English, British spellings included."""
    words = speller().word_frequency
    if word in words or word in _extra_words():
        return True
    if "-" in word:
        return all(is_known(part) for part in word.split("-") if part)
    return any(variant in words for variant in _variants(word))


def _variants(word: str) -> set[str]:
    each = {pattern.sub(replacement, word, count=1) for pattern, replacement in _REWRITES}
    combined = word
    for pattern, replacement in _REWRITES:
        combined = pattern.sub(replacement, combined, count=1)
    return (each | {combined}) - {word}


@lru_cache(maxsize=10_000)
def suggest(word: str) -> str | None:
    """Return the likeliest correction one edit away, or None."""
    best = speller().correction(word)
    return best if best and best != word else None
