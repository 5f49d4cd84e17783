"""R2: pupils' names stay out of posts (with R4's photo-consent check where allowed).

Decisions, so they can be argued with:

* A full name or a first name is a block (seeds 001 and 003 never use names).
  The profile "first_names_with_consent" lets a first name through when every
  pupil with that name has recorded name consent (seed 002); when only some do,
  it warns, because the app can't tell which Josh is meant.
* A surname alone is a warning, not a block: surnames are shared with siblings,
  parents and staff ("Mrs Smith" is skipped altogether), so one seldom
  identifies a child, but a teacher should look.
* Initials ("JS" for John Smith) pass only in the "initials" profile and only
  when no photo shows, or may show, a face (seed 001); elsewhere two capitals
  that match a pupil's initials warn, since they may be an acronym.
* The caption and every photo's alt text are checked: alt text is public too.
"""

from __future__ import annotations

from collections.abc import Iterable

import regex

from .context import folded
from .model import Draft, Finding, Profile, Pupil
from .name_matching import NameMatch, find_names
from .register import (
    FIRST,
    FULL,
    SURNAME,
    RegisterIndex,
    class_label,
    compile_register,
    initials_of,
)
from .seeds import finding
from .spelling import is_known
from .text import Analysis, analyse, data_lines

_DOTTED_INITIALS = regex.compile(r"(?<![\w.])(\p{Lu})\.\s?(\p{Lu})\.?(?!\w)")
_ACRONYMS = frozenset(data_lines("acronyms.txt"))


def check_names(
    draft: Draft, register: RegisterIndex | Iterable[Pupil], profile: Profile
) -> list[Finding]:
    """R2: find pupils' names and initials in the caption and alt text."""
    index = compile_register(register)
    vocabulary = folded(profile.vocabulary)
    faces = draft.faces_possible
    out: list[Finding] = []
    for field, text in draft.fields():
        a = analyse(text)
        for match in find_names(a, index, vocabulary):
            out += _name_findings(match, text, field, profile, faces)
        out += _initials_findings(a, index, profile, faces, field)
    return out


def _name_findings(
    m: NameMatch, text: str, field: str, profile: Profile, faces: bool
) -> list[Finding]:
    said, pupils = text[m.start : m.end], m.pupils
    where = {"start": m.start, "end": m.end, "field": field}
    if m.kind == SURNAME:
        msg = (
            f"'{said}' is the surname of {_who(pupils)}. If this is about a pupil, leave "
            f"it out; for a member of staff write 'Mr {said}' or 'Mrs {said}'."
        )
        return [finding("R2", "001", "warn", msg, fix="leave it out", **where)]
    if profile.names_mode == "first_names_with_consent":
        return _with_consent(m, said, faces, where)
    initials = _initials_fix(m, profile, faces)
    advice = f"Use their initials, '{initials}', instead." if initials else _class_advice(pupils)
    if profile.names_mode == "initials" and faces:
        advice = "Initials aren't allowed either while a photo may show faces. " + advice
    if m.first < 0:  # found inside a run-together hashtag
        subject = f"'{said}' contains the name of {_who(pupils)}"
    elif m.kind == FULL:
        subject = f"'{said}' is in {_register_of(pupils)}"
    else:
        subject = f"'{said}' is the name of {_who(pupils)}"
    msg = f"Pupils' names can't be used — {subject}. {advice}"
    return [finding("R2", "001", "block", msg, fix=initials or _class_fix(pupils), **where)]


def _with_consent(m: NameMatch, said: str, faces: bool, where: dict) -> list[Finding]:
    pupils = m.pupils
    agreed = [p for p in pupils if p.name_consent]
    if m.kind == FULL:
        msg = (
            f"Only first names may be used, never surnames — '{said}' is in {_register_of(pupils)}."
        )
        first = (agreed[0].preferred_name or agreed[0].first_name) if len(agreed) == 1 else None
        return [finding("R2", "002", "block", msg, fix=first or _class_fix(pupils), **where)]
    if not agreed:
        advice = _class_advice(pupils)
        msg = f"'{said}' is the name of {_who(pupils)} with no recorded name consent. {advice}"
        return [finding("R2", "002", "block", msg, fix=_class_fix(pupils), **where)]
    if len(agreed) < len(pupils):
        msg = (
            f"{len(pupils)} pupils are called '{said}' and only {len(agreed)} "
            f"{'has' if len(agreed) == 1 else 'have'} name consent: make sure it's the right one."
        )
        return [finding("R2", "002", "warn", msg, fix=_class_fix(pupils), **where)]
    out = [
        finding("R2", "002", "info", f"'{said}' is used with recorded parental consent.", **where)
    ]
    if faces and any(not p.photo_consent for p in pupils):
        msg = f"'{said}' has no photo consent and a photo may show faces: check they're not in it."
        out.append(finding("R4", "002", "warn", msg, fix="a photo without faces", **where))
    return out


def _initials_findings(
    a: Analysis, index: RegisterIndex, profile: Profile, faces: bool, field: str
) -> list[Finding]:
    if profile.names_mode == "initials" and not faces:
        return []
    if profile.names_mode == "initials":
        why = "Initials are only allowed when no photo shows a face."
    else:
        why = "This school's profile doesn't allow initials either."
    out = []
    for start, end, letters in _initial_spans(a):
        pupils = index.initials.get(letters)
        if pupils:
            msg = f"'{a.text[start:end]}' could be the initials of {_who(pupils)}. {why}"
            where = {"start": start, "end": end, "field": field}
            out.append(finding("R2", "001", "warn", msg, fix=_class_fix(pupils), **where))
    return out


def _initial_spans(a: Analysis) -> list[tuple[int, int, str]]:
    spans = [
        (t.start, t.end, t.low)
        for t in a.tokens
        if t.upper
        and len(t.text) == 2
        and t.text.isalpha()
        and t.tag < 0
        and t.text not in _ACRONYMS
        and not is_known(t.low)
    ]
    spans += [
        (m.start(), m.end(), (m[1] + m[2]).lower()) for m in _DOTTED_INITIALS.finditer(a.text)
    ]
    return spans


def _initials_fix(m: NameMatch, profile: Profile, faces: bool) -> str | None:
    pupils = m.pupils
    if profile.names_mode != "initials" or faces or len(pupils) != 1:
        return None
    given = next((e.words[0] for e in m.entries if e.kind in (FULL, FIRST)), None)
    return initials_of(pupils[0], given)


def _who(pupils: list[Pupil]) -> str:
    classes = sorted({p.class_name for p in pupils if p.class_name})
    where = f"in {' and '.join(classes)}" if classes else "on the register"
    return f"a pupil {where}" if len(pupils) == 1 else f"{len(pupils)} pupils {where}"


def _register_of(pupils: list[Pupil]) -> str:
    label = class_label(pupils)
    return f"{label}'s register" if label else "the register"


def _class_fix(pupils: list[Pupil]) -> str:
    return class_label(pupils) or "the class or group"


def _class_advice(pupils: list[Pupil]) -> str:
    label = class_label(pupils)
    return (
        f"Use a class name instead, e.g. '{label}'."
        if label
        else "Use a class or group name instead."
    )
