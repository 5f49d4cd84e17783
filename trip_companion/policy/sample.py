"""A made-up but realistic register, for demos, tests and the benchmark.

Four hundred pupils with the names a British primary school really has:
accents (Zoë, Siobhán, Łukasz), names that are also words (Grace, Willow,
Jack), shared surnames, preferred names, and a spread of consents. Nobody in
it is real; it is generated the same way every time.
"""

from __future__ import annotations

from .model import Pupil
from .text import data_lines


def _sections(lines: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current = ""
    for line in lines:
        if line.startswith("["):
            current = line.strip("[]")
            out[current] = []
        else:
            out[current].append(line.strip())
    return out


_NAMES = _sections(data_lines("sample_names.txt"))
FIRST_NAMES, SURNAMES = tuple(_NAMES["first"]), tuple(_NAMES["surname"])
PREFERRED = {"William": "Bill", "Theodore": "Teddy", "Oluwaseun": "Seun", "Chukwuemeka": "Emeka"}
CLASSES = ("Reception", "Year 1", "Year 2", "Year 3", "Year 4", "Year 5", "Year 6")


def sample_register(size: int = 400) -> list[Pupil]:
    """Return `size` made-up pupils, the same ones every time."""
    pupils = []
    for i in range(size):
        first = FIRST_NAMES[i % len(FIRST_NAMES)]
        pupils.append(
            Pupil(
                first_name=first,
                surname=SURNAMES[(i * 7 + i // len(FIRST_NAMES)) % len(SURNAMES)],
                preferred_name=PREFERRED.get(first),
                class_name=CLASSES[i % len(CLASSES)],
                photo_consent=i % 5 != 0,
                name_consent=i % 3 == 0,
            )
        )
    return pupils
