"""The pupil register, imported from the CSV a school's information system exports.

All rows are checked before any is written, so a bad file never half-imports.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from trip_companion.models import Pupil, School

# Header spellings seen in MIS exports (SIMS, Arbor, Bromcom), matched case-insensitively.
COLUMNS: dict[str, tuple[str, ...]] = {
    "first_name": ("first name", "forename", "legal forename", "firstname", "given name"),
    "surname": ("surname", "last name", "legal surname", "lastname", "family name"),
    "preferred_name": ("preferred name", "preferred forename", "known as", "chosen name"),
    "class_name": ("class", "year group", "reg group", "registration group", "form", "year"),
    "photo_consent": ("photo consent", "photograph consent", "photo permission",
                      "consent: photos", "photos"),
    "name_consent": ("name consent", "name permission", "consent: name", "names"),
}
REQUIRED = ("first_name", "surname", "class_name", "photo_consent", "name_consent")
YES = {"yes", "y", "true", "1", "granted", "given"}
NO = {"no", "n", "false", "0", "refused", "withdrawn", "not given", ""}


class RegisterError(ValueError):
    """The CSV can't be imported; the message names the line and the problem."""


@dataclass(frozen=True)
class Row:
    first_name: str
    surname: str
    preferred_name: str
    class_name: str
    photo_consent: bool
    name_consent: bool


def parse(text: str) -> list[Row]:
    """Parse the whole CSV or raise :class:`RegisterError` naming every bad line."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if not header:
        msg = "The file is empty: expected a header line and one line per pupil."
        raise RegisterError(msg)
    positions = _positions(header)
    rows, errors = [], []
    for line_no, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        try:
            rows.append(_row(cells, positions))
        except RegisterError as exc:
            errors.append(f"line {line_no}: {exc}")
    if errors:
        raise RegisterError("Nothing was imported. " + "; ".join(errors))
    return rows


def _positions(header: list[str]) -> dict[str, int]:
    names = [h.strip().lower() for h in header]
    found = {}
    for field, spellings in COLUMNS.items():
        for i, name in enumerate(names):
            if name in spellings or name == field.replace("_", " "):
                found[field] = i
                break
    missing = [f.replace("_", " ") for f in REQUIRED if f not in found]
    if missing:
        msg = f"line 1: no column for {', '.join(missing)} (found: {', '.join(header)})."
        raise RegisterError(msg)
    return found


def _row(cells: list[str], positions: dict[str, int]) -> Row:
    def cell(field: str) -> str:
        i = positions.get(field)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    for field in ("first_name", "surname", "class_name"):
        if not cell(field):
            msg = f"{field.replace('_', ' ')} is empty"
            raise RegisterError(msg)
    return Row(cell("first_name"), cell("surname"), cell("preferred_name"), cell("class_name"),
               _consent(cell("photo_consent"), "photo consent"),
               _consent(cell("name_consent"), "name consent"))


def _consent(value: str, what: str) -> bool:
    lowered = value.lower()
    if lowered in YES:
        return True
    if lowered in NO:
        return False
    msg = f"{what} '{value}' is not yes or no"
    raise RegisterError(msg)


def import_rows(db: Session, school: School, rows: list[Row]) -> tuple[int, int]:
    """Add new pupils and update known ones (same name and class); return (added, updated)."""
    existing = {(p.first_name.lower(), p.surname.lower(), p.class_name.lower()): p
                for p in db.scalars(select(Pupil).where(Pupil.school_id == school.id))}
    added = updated = 0
    for row in rows:
        key = (row.first_name.lower(), row.surname.lower(), row.class_name.lower())
        pupil = existing.get(key)
        if pupil is None:
            pupil = Pupil(school_id=school.id)
            db.add(pupil)
            existing[key] = pupil
            added += 1
        else:
            updated += 1
        for field, value in row.__dict__.items():
            setattr(pupil, field, value)
    db.flush()
    return added, updated
