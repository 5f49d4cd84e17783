"""R9: positive messages only, no personal opinions, nothing derogatory or profane.

* Profanity is a block. The words come from better-profanity's list, less the
  entries that are ordinary school words (data/profanity_allow.txt: "organ",
  "pawn", "stroke", "Paddy"…). The library's own matcher costs ~17 ms a
  caption, so the list is matched here as a set, with its leetspeak ("sh1t")
  and "f*ck" variants.
* Words that put people down ("stupid", "lazy") and personal opinions ("I
  think", "in my opinion") warn: a senior leader can judge the context.
* VADER's compound score of the worst sentence below the profile's threshold
  (-0.5) warns; for urgent news (a closure is bad news by nature) it is info.
"""

from __future__ import annotations

from functools import cache, lru_cache
from importlib import resources

import regex
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from .context import folded
from .model import Draft, Finding, Profile
from .seeds import finding
from .text import analyse, data_lines, fold, sentences

_CHUNK_RE = regex.compile(r"[\w@$*!+.\-]+")
_LEET = str.maketrans("4@10$57+3!", "aaiossttei")  # better-profanity's substitutions
_LEET_L = str.maketrans("4@10$57+3!", "aalossttei")  # "1" can stand for "l" too
_SEPARATORS = str.maketrans("", "", ".-_")  # "f.u.c.k", "s-h-i-t"
_NUMBER = regex.compile(r"(?<!\w)\d+(?!\w)")
_OPINIONS = (("i", "think"), ("i", "believe"), ("in", "my", "opinion"), ("imo",), ("personally",))
_DEROGATORY = frozenset(data_lines("derogatory.txt"))


@cache
def _profanity() -> tuple[frozenset[str], dict[int, list[str]]]:
    listed = resources.files("better_profanity").joinpath("profanity_wordlist.txt")
    words = {w.strip().lower() for w in listed.read_text("utf-8").splitlines() if w.strip()}
    words -= set(data_lines("profanity_allow.txt")) | _DEROGATORY  # put-downs only warn
    by_length: dict[int, list[str]] = {}
    for word in words:
        by_length.setdefault(len(word), []).append(word)
    return frozenset(words), by_length


@cache
def _vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def check_tone(draft: Draft, profile: Profile) -> list[Finding]:
    """R9: profanity and put-downs (caption and alt text), opinions and negative tone."""
    allowed = folded(profile.vocabulary)
    out = []
    for field, text in draft.fields():
        out += _swearing(text, field, allowed) + _put_downs(text, field)
    return out + _opinions(draft.caption) + _negative(draft, profile)


def is_profane(chunk: str) -> bool:
    """Say whether one word (as typed, any case, leetspeak allowed) is on the list."""
    words, by_length = _profanity()
    low = chunk.lower().strip(".-!")
    if low in words:
        return True
    if low.isalpha():
        return False  # no digits or symbols: no leetspeak to undo
    forms = {low.translate(_LEET), low.translate(_LEET_L), low.translate(_SEPARATORS)}
    if forms & words:
        return True
    if "*" in low and len(low) > 2:  # "f*ck": * stands for any one letter
        pattern = regex.compile(regex.escape(low).replace(r"\*", "."))
        return any(pattern.fullmatch(w) for w in by_length.get(len(low), ()))
    return False


def _swearing(text: str, field: str, allowed: frozenset[str]) -> list[Finding]:
    words, _ = _profanity()
    chunks = list(_CHUNK_RE.finditer(text))
    spans = [m.span() for m in chunks if fold(m.group()) not in allowed and is_profane(m.group())]
    for size in (2, 3, 4):  # multi-word entries: "blow job", "2 girls 1 cup"
        for i in range(len(chunks) - size + 1):
            phrase = " ".join(m.group().lower() for m in chunks[i : i + size])
            if phrase in words:
                spans.append((chunks[i].start(), chunks[i + size - 1].end()))
    spans += [
        (t.start, t.end)
        for t in analyse(text).tokens
        if t.tag >= 0 and t.low not in allowed and is_profane(t.low)
    ]
    return [_profane(text, s, field) for s in sorted(set(spans))]


def _profane(text: str, span: tuple[int, int], field: str) -> Finding:
    said = text[span[0] : span[1]]
    censored = said[0] + "*" * (len(said) - 1)
    msg = f"'{censored}' is language that would be unacceptable in the classroom."
    return finding(
        "R9", "002", "block", msg, start=span[0], end=span[1], fix="leave it out", field=field
    )


def _put_downs(text: str, field: str) -> list[Finding]:
    return [
        finding(
            "R9",
            "002",
            "warn",
            f"'{t.text}' puts someone down. Say what went well instead.",
            start=t.start,
            end=t.end,
            fix="say what went well",
            field=field,
        )
        for t in analyse(text).tokens
        if t.low in _DEROGATORY
    ]


def _opinions(caption: str) -> list[Finding]:
    tokens = analyse(caption).tokens
    out = []
    for i in range(len(tokens)):
        for phrase in _OPINIONS:
            if tuple(t.low for t in tokens[i : i + len(phrase)]) == phrase:
                end = tokens[i + len(phrase) - 1].end
                msg = (
                    f"'{caption[tokens[i].start : end]}' gives a personal opinion. "
                    "Posts speak for the school."
                )
                out.append(
                    finding(
                        "R9",
                        "002",
                        "warn",
                        msg,
                        start=tokens[i].start,
                        end=end,
                        fix="say what happened",
                    )
                )
    return out


def _negative(draft: Draft, profile: Profile) -> list[Finding]:
    """Score the whole caption and each sentence: one sour sentence isn't hidden by praise."""
    caption = draft.caption
    scores = [(_compound(caption[a:b]), a, b) for a, b in sentences(caption)]
    score, start, end = min(scores, default=(0.0, 0, 0))
    if score >= profile.tone_threshold:
        return []
    urgent = bool((draft.urgent_reason or "").strip())
    msg = f"This reads as negative (tone score {score:+.2f}). Posts share positive messages."
    if urgent:
        msg = f"This reads as negative (tone score {score:+.2f}); fine for urgent news."
    severity = "info" if urgent else "warn"
    return [finding("R9", "001", severity, msg, start=start, end=end, fix="reword it positively")]


@lru_cache(maxsize=1024)  # a keystroke changes one sentence; the others score as before
def _compound(text: str) -> float:
    # VADER's lexicon scores some numbers as chat slang ("182", "187", "86"):
    # in a school post a number is a score, a day or a sum of money, never a mood.
    return _vader().polarity_scores(_NUMBER.sub("", text))["compound"]
