"""Time a full policy check of a 280-character caption against a 400-pupil register.

Run: .venv/bin/python bench/policy.py [--runs 1000]

Every run checks a different caption (phrases shuffled, a run number inside),
so the per-text cache in the tokenizer never answers for it; per-word caches
(spelling, accent folding) stay warm, as they do in a running server. The
register is passed as plain Pupil objects, as a view would, so each run also
pays for finding the compiled index. Target: p95 under 20 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from trip_companion.policy import Draft, EventWindow, Photo, Profile, check
from trip_companion.policy.report import warm_up
from trip_companion.policy.sample import sample_register

PHRASES = (
    "Year {n} had a brilliant day at Kingswood.",
    "We went orienteering in the woods and toasted marshmallows round the campfire.",
    "Well done everyone for a fantastic effort!",
    "The children will remember the climbing wall for a long time.",
    "Thank you to the parents who helped with the coach.",
    "Grace and hope were the words of our assembly.",
    "Don't forget the PE kits on Monday, Year {n}.",
    "In May we visit the farm again.",
    "Our favourite colour for the art display is grey.",
    "Congratulations to the U11 team on a hard-fought draw.",
    "Special thanks to Evie Gray for leading the singing.",
    "Full time: U11 football {n}–1 Hillside Primary.",
)
TAGS = " #PrimaryRocks #Residential"
LONDON = ZoneInfo("Europe/London")


def caption(run: int) -> str:
    """Return a different 280-character caption for each run."""
    rng = random.Random(run)
    phrases = list(PHRASES)
    rng.shuffle(phrases)
    text = f"Day {run}: " + " ".join(p.format(n=rng.randint(1, 6)) for p in phrases)
    return text[: 280 - len(TAGS)] + TAGS


def main() -> None:
    """Print p50 and p95 for `--runs` full checks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    runs = parser.parse_args().runs
    pupils = sample_register(400)
    profile = Profile(networks=("x", "bluesky", "mastodon", "feed"))
    at = datetime(2026, 11, 28, 20, 0, tzinfo=LONDON)  # a Saturday night on a residential
    event = EventWindow("residential", datetime(2026, 11, 27, 9, tzinfo=LONDON), at.replace(day=29))
    photos = (Photo("Year 5 around the campfire at night", None),)

    started = time.perf_counter()
    warm_up()
    check(Draft(caption(-1), photos), register=pupils, profile=profile, at=at)
    cold = time.perf_counter() - started

    times = []
    for run in range(runs):
        draft = Draft(caption(run), photos=photos, event=event)
        assert len(draft.caption) == 280
        t0 = time.perf_counter()
        check(draft, register=pupils, profile=profile, at=at)
        times.append((time.perf_counter() - t0) * 1000)

    p50 = statistics.median(times)
    p95 = statistics.quantiles(times, n=100)[94]
    print(f"policy check: 280-character caption, {len(pupils)}-pupil register, {runs} runs")
    print(f"cold start (load dictionary, VADER, word lists, index): {cold * 1000:.0f} ms")
    print(f"p50 {p50:.2f} ms   p95 {p95:.2f} ms   max {max(times):.2f} ms")
    print("target p95 < 20 ms:", "met" if p95 < 20 else "MISSED")


if __name__ == "__main__":
    main()
