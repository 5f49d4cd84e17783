"""Split a caption into words once, remembering where each one came from.

Every rule works on these tokens, so accents, possessives and words inside
hashtags are handled in one place, and every span points into the text as typed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

import regex

# Letters NFKD leaves whole; folded by hand so "Søren" matches "Soren".
_EXTRA = str.maketrans(
    {
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ı": "i",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "’": "'",
        "‘": "'",
        "ʼ": "'",
    }
)

EMAIL_RE = regex.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL_RE = regex.compile(
    r"\bhttps?://[^\s<>\"]+|\bwww\.[^\s<>\"]+"
    r"|(?<![@\w.-])(?:[a-z0-9-]+\.)+(?:com|org|net|uk|edu|gov|io|co|info|social|app)\b"
    r"(?:/[^\s<>\"]*)?",
    regex.IGNORECASE,
)
MENTION_RE = regex.compile(r"(?<![\w@.])@\w+(?:@[\w-]+(?:\.[\w-]+)+|(?:\.[\w-]+)+)?")
HASHTAG_RE = regex.compile(r"(?<![\w&#])#(\w*[^\W\d_]\w*)")
WORD_RE = regex.compile(r"[\p{L}\p{N}][\p{L}\p{M}\p{N}]*(?:['’][\p{L}\p{M}]+)*")
# CamelCase and snake_case pieces of a hashtag: #WellDoneJosh, #josh_smith, #Year4
PART_RE = regex.compile(
    r"\p{Lu}\p{M}*(?:\p{Ll}\p{M}*)+|\p{Lu}\p{M}*(?:\p{Lu}\p{M}*)*(?!\p{Ll})"
    r"|\p{Ll}\p{M}*(?:\p{Ll}\p{M}*)*|\p{N}+"
)
BOUNDARY_RE = regex.compile(r"[.!?:;\n]|\p{So}|\p{Extended_Pictographic}")
_URL_TAIL = ".,!?:;)'\"’”"


@lru_cache(maxsize=100_000)
def fold(word: str) -> str:
    """Lower-case and strip accents, so "Zoë", "ZOE" and "zoe" compare equal."""
    decomposed = unicodedata.normalize("NFKD", word.translate(_EXTRA))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True, slots=True)
class Token:
    """A word as typed, with the facts the name heuristics need."""

    text: str
    start: int
    end: int
    low: str  # folded, as typed ("amy's")
    norm: str  # folded, possessive dropped ("amy")
    cap: bool  # starts with a capital
    upper: bool  # all capitals, two letters or more
    sentence_start: bool
    possessive: bool
    tag: int  # index of the hashtag it sits in, or -1
    gap: str  # the text between the previous token and this one


def joined(a: Token, b: Token) -> bool:
    """Say whether b follows a as part of the same phrase (only spaces between)."""
    return a.tag == b.tag and b.gap.strip(" \t-_") == ""


@dataclass(frozen=True)
class Analysis:
    """A text split once for all rules."""

    text: str
    tokens: tuple[Token, ...]
    hashtags: tuple[tuple[int, int], ...]
    mentions: tuple[tuple[int, int], ...]
    urls: tuple[tuple[int, int], ...]
    title_case: bool  # Headline Style makes capitals useless as a name signal


@lru_cache(maxsize=64)
def analyse(text: str) -> Analysis:
    """Split `text` into tokens, hashtags, mentions and links (cached per text)."""
    emails = [m.span() for m in EMAIL_RE.finditer(text)]
    urls = [trim_url(text, m.span()) for m in URL_RE.finditer(text)]
    urls = [u for u in urls if not _overlaps(u, emails)]
    mentions = [m.span() for m in MENTION_RE.finditer(text) if not _overlaps(m.span(), urls)]
    tags = [m.span() for m in HASHTAG_RE.finditer(text) if not _overlaps(m.span(), urls)]
    masked = emails + urls + mentions + tags
    pieces = [(*m.span(), -1) for m in WORD_RE.finditer(text) if not _overlaps(m.span(), masked)]
    for index, (start, end) in enumerate(tags):
        body = start + 1
        pieces += [(*m.span(), index) for m in PART_RE.finditer(text, body, end)]
    tokens = _tokens(text, sorted(pieces))
    return Analysis(text, tokens, tuple(tags), tuple(mentions), tuple(urls), _title_case(tokens))


def _tokens(text: str, pieces: list[tuple[int, int, int]]) -> tuple[Token, ...]:
    out: list[Token] = []
    prev_end = 0
    for start, end, tag in pieces:
        word = text[start:end]
        gap = text[prev_end:start]
        base, possessive = _possessive(word, text[end : end + 1])
        letters = [c for c in word if c.isalpha()]
        out.append(
            Token(
                text=word,
                start=start,
                end=end,
                low=fold(word),
                norm=fold(base),
                cap=word[0].isupper(),
                upper=len(letters) > 1 and all(c.isupper() for c in letters),
                sentence_start=not out or bool(BOUNDARY_RE.search(gap)),
                possessive=possessive,
                tag=tag,
                gap=gap,
            )
        )
        prev_end = end
    return tuple(out)


def _possessive(word: str, after: str) -> tuple[str, bool]:
    """Split "Amy's" into ("Amy", True); "James'" counts too."""
    if len(word) > 2 and word[-2] in "'’" and word[-1] in "sS":
        return word[:-2], True
    return word, after in ("'", "’") and word[-1:] in ("s", "S")


def _title_case(tokens: tuple[Token, ...]) -> bool:
    words = [t for t in tokens if t.tag < 0 and len(t.text) > 3 and t.text.isalpha()]
    mid = [t for t in words if not t.sentence_start]
    caps = sum(t.cap for t in mid)
    return caps >= 3 and caps >= 0.6 * len(mid)


def trim_url(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """Stop a link before the punctuation that ends its sentence, but keep a closing
    bracket that pairs one in the link (``…/wiki/Lindisfarne_(island)``)."""
    start, end = span
    while end > start and text[end - 1] in _URL_TAIL:
        if text[end - 1] == ")" and text.count("(", start, end) >= text.count(")", start, end):
            break
        end -= 1
    return start, end


def _overlaps(span: tuple[int, int], others: list[tuple[int, int]]) -> bool:
    return any(span[0] < b and a < span[1] for a, b in others)


def sentences(text: str) -> list[tuple[int, int]]:
    """Return rough sentence spans; good enough to point at the worst one."""
    return [m.span() for m in regex.finditer(r"[^.!?\s][^.!?\n]*[.!?]*", text)]


def data_lines(name: str) -> list[str]:
    """Read a word list shipped in data/, skipping blank lines and # comments."""
    text = resources.files(__package__).joinpath("data").joinpath(name).read_text("utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


@cache
def word_set(name: str) -> frozenset[str]:
    """Return a named set from data/word_sets.txt ("name: words" lines, merged)."""
    words: list[str] = []
    for line in data_lines("word_sets.txt"):
        key, _, rest = line.partition(":")
        if key.strip() == name:
            words += rest.split()
    if not words:
        msg = f"no word set called {name!r}"
        raise KeyError(msg)
    return frozenset(words)
