"""R5: no individually targeted content; class and year-group messages are fine.

Seed 001's example is "Well done Josh a better lesson today". The worry is
singling out a child, whether or not the child is on the register we hold, so:

* a praise cue ("Well done", "Congratulations to", "Star of the week:",
  "Great work from") followed by a capitalised word that is not a group
  ("Year 4", "everyone", "the U11 team", a class name from the register), an
  adult ("Mrs Patel") or an organisation ("Hillside Primary") is a block;
* an addressing cue ("Thank you", "Good luck", "Well played") counts only when a
  registered pupil's name follows, since it usually thanks a place or a school;
* the same, addressed first: "Josh, well done!".
"""

from __future__ import annotations

from collections.abc import Iterable

from . import context as ctx
from .model import Draft, Finding, Profile, Pupil
from .name_matching import hashtag_cue_name
from .register import RegisterIndex, class_label, compile_register
from .seeds import finding
from .text import Token, analyse, fold, joined


def check_targeting(
    draft: Draft, register: RegisterIndex | Iterable[Pupil], profile: Profile
) -> list[Finding]:
    """R5: find praise or address aimed at one child in the caption."""
    index = compile_register(register)
    vocabulary = ctx.folded(profile.vocabulary)
    a = analyse(draft.caption)
    out = []
    for k in range(len(a.tokens)):
        for first, last in _aimed_at(a.tokens, k):
            if _singles_out(a.tokens, k, index, vocabulary, _praise(a.tokens, first, last)):
                out.append(_finding(draft.caption, a.tokens, first, last, k, index))
    for start, end in a.hashtags:
        pupils = hashtag_cue_name(fold(draft.caption[start + 1 : end]), index)
        if pupils and not any(f.start is not None and start <= f.start < end for f in out):
            out.append(_hashtag_finding(draft.caption[start:end], start, end, pupils))
    return out


def _aimed_at(tokens: tuple[Token, ...], k: int) -> list[tuple[int, int]]:
    """Return (first, last) token spans of cues that point at token k."""
    spans = []
    first = ctx.cue_before(tokens, k)
    if first is not None:
        spans.append((first, k - 1))
    last = ctx.cue_after(tokens, k)
    if last is not None:
        spans.append((k + 1, last))
    return spans


def _praise(tokens: tuple[Token, ...], first: int, last: int) -> bool:
    words = tuple(t.low for t in tokens[first : last + 1] if t.low not in ctx.CONNECTORS)
    return words in ctx.PRAISE_CUES


def _singles_out(tokens, k: int, index: RegisterIndex, vocabulary, praise: bool) -> bool:
    tok = tokens[k]
    if tok.norm in ctx.GROUP_WORDS or tok.norm in index.class_words or tok.norm in ctx.TITLES:
        return False
    if any(c.isdigit() for c in tok.text) or ctx.before_org_word(tokens, k):
        return False
    if tok.norm in index.given and (tok.cap or tok.norm not in index.common_words):
        return True
    if not praise or not (tok.cap or tok.upper) or tok.norm in vocabulary:
        return False
    return not (tok.upper and len(tok.text) > 2)  # "PGL", "NHS": organisations


def _finding(text: str, tokens, first: int, last: int, k: int, index: RegisterIndex) -> Finding:
    end = k
    while end + 1 < len(tokens) and end < k + 2 and _surname_like(tokens[end], tokens[end + 1]):
        end += 1  # "Evie Gray": the whole name
    lo, hi = min(first, k), max(last, end)
    said = text[tokens[lo].start : tokens[hi].end]
    cue = text[tokens[first].start : tokens[last].end]
    group = class_label(index.given.get(tokens[k].norm, ())) or "everyone"
    fix = f"{cue[:1].upper()}{cue[1:]} {group}"
    if tokens[k].tag >= 0:  # inside a hashtag: suggest a hashtag
        fix = "#" + fix.replace(" ", "")
    msg = f"This singles out one child ('{said}'). Praise the class or group instead, e.g. '{fix}'."
    where = {"start": tokens[lo].start, "end": tokens[hi].end}
    return finding("R5", "001", "block", msg, fix=fix, **where)


def _surname_like(prev: Token, tok: Token) -> bool:
    return joined(prev, tok) and tok.cap and tok.norm not in ctx.ORG_WORDS


def _hashtag_finding(tag: str, start: int, end: int, pupils: tuple[Pupil, ...]) -> Finding:
    group = class_label(pupils) or "everyone"
    msg = f"This hashtag singles out one child ('{tag}'). Praise the class or group instead."
    return finding(
        "R5", "001", "block", msg, fix=f"#WellDone{group.replace(' ', '')}", start=start, end=end
    )
