"""Publishing benchmark: "Post now" → readable, and queue throughput with real workers.

Runs against the school's own feed (always) and the local Bluesky PDS (when
tests/publish/bluesky/setup.sh has installed it). Prints medians and the 100-post run:
no loss, no duplicate, and the time it took with 2 worker threads in a separate process.

    .venv/bin/python bench/publish.py [--posts 100] [--latency-runs 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.images import gps_jpeg  # noqa: E402
from trip_companion import compose, create_app, db, demo, photos, profile  # noqa: E402
from trip_companion.media import Limits  # noqa: E402
from trip_companion.models import (  # noqa: E402
    Device,
    DeviceStatus,
    Event,
    FeedEntry,
    Post,
    PostStatus,
    Role,
    School,
    User,
    utcnow,
)


def make_app(data_dir: Path, networks: tuple[str, ...], options: dict | None = None):
    url = f"sqlite:///{data_dir / 'trip-companion.sqlite3'}"
    db.upgrade(url)
    app = create_app({"DATA_DIR": str(data_dir), "PUBLISH_OPTIONS": options or {}})
    runtime = app.extensions["trip_companion.runtime"]
    with runtime.sessions() as s:
        demo.run(s, utcnow())
        school = s.query(School).one()
        head = s.query(User).filter_by(role=Role.HEADTEACHER).one()
        profile.save(s, school, profile.Settings(networks=networks), head)
        s.commit()
    return app


def schedule(app, n: int, tag: str) -> list[int]:
    """n posts by the headteacher on the trip, each with one photo, due now."""
    runtime = app.extensions["trip_companion.runtime"]
    ids = []
    with runtime.sessions() as s:
        head = s.query(User).filter_by(role=Role.HEADTEACHER).one()
        event = s.query(Event).filter(Event.title.like("Year 6%")).one()
        device = s.query(Device).filter_by(user_id=head.id).first() or Device(
            school_id=head.school_id, user_id=head.id, token_hash=os.urandom(32).hex(),
            name="bench", status=DeviceStatus.TRUSTED)
        s.add(device)
        s.flush()
        for i in range(n):
            receipt = photos.receive(s, runtime.store, user=head, device=device, event=event,
                                     client_id=f"bench-{tag}-{i:04d}",
                                     data=gps_jpeg(colour=(i % 255, 90, 120)),
                                     source=photos.PhotoSource.CAMERA, limits=Limits())
            post = compose.start(s, head, event)
            compose.save(s, post, caption=f"Year 6 on the lake, update {tag} {i}.",
                         photo_ids=[receipt.photo_id],
                         alt_texts={receipt.photo_id: "Canoes on a lake, seen from the shore"},
                         faces={receipt.photo_id: False})
            ids.append(post.id)
        s.commit()
    return ids


def submit(app, post_id: int) -> None:
    runtime = app.extensions["trip_companion.runtime"]
    with runtime.sessions() as s:
        post = s.get(Post, post_id)
        head = s.query(User).filter_by(role=Role.HEADTEACHER).one()
        verdict = compose.submit(s, post, head, utcnow(), head.school)
        assert verdict.step == "now", verdict.label
        s.commit()


def start_worker(data_dir: Path, workers: int, options: str = "{}") -> subprocess.Popen:
    env = {**os.environ, "TRIP_COMPANION_DATA_DIR": str(data_dir),
           "TRIP_COMPANION_PUBLISH_OPTIONS": options}
    return subprocess.Popen([sys.executable, "-m", "trip_companion.cli", "worker", "--workers",
                             str(workers)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def published(app, ids) -> int:
    with app.extensions["trip_companion.runtime"].sessions() as s:
        return s.query(Post).filter(Post.id.in_(ids),
                                    Post.status == PostStatus.PUBLISHED).count()


def latency(app, runs: int, readable) -> list[float]:
    """Seconds from submit ("Post now") to the post being readable where it went."""
    ids = schedule(app, runs, f"lat{time.time_ns()}")
    times = []
    for post_id in ids:
        start = time.perf_counter()
        submit(app, post_id)
        app.extensions["trip_companion.queue"].kick()
        while not readable(post_id):
            time.sleep(0.02)
        times.append(time.perf_counter() - start)
    return times


def feed_readable(app):
    client = app.test_client()

    def check(post_id: int) -> bool:
        return f"id=\"post-tc1p{post_id}\"" in client.get("/schools/demo/feed").get_data(
            as_text=True)
    return check


def throughput(app, n: int) -> tuple[float, int, int]:
    ids = schedule(app, n, f"tp{time.time_ns()}")
    start = time.perf_counter()
    for post_id in ids:
        submit(app, post_id)
    app.extensions["trip_companion.queue"].kick()
    while published(app, ids) < n and time.perf_counter() - start < 600:
        time.sleep(0.1)
    took = time.perf_counter() - start
    with app.extensions["trip_companion.runtime"].sessions() as s:
        keys = [k for (k,) in s.query(FeedEntry.key)]
    return took, published(app, ids), len(keys) - len(set(keys))


def report(name: str, times: list[float]) -> None:
    print(f"{name:<28} median {statistics.median(times) * 1000:7.0f} ms   "
          f"max {max(times) * 1000:7.0f} ms   (n={len(times)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=100)
    parser.add_argument("--latency-runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        app = make_app(data_dir, ("feed",))
        worker = start_worker(data_dir, 2)
        try:
            time.sleep(1.0)
            report("feed: Post now → on page", latency(app, args.latency_runs,
                                                       feed_readable(app)))
            took, done, dupes = throughput(app, args.posts)
            print(f"feed: {args.posts} posts, 2 workers: {took:.1f} s "
                  f"({args.posts / took:.1f} posts/s); published {done}/{args.posts}; "
                  f"duplicates {dupes}; lost {args.posts - done}")
        finally:
            worker.terminate()
            worker.wait(10)
        bluesky(args)


def bluesky(args) -> None:
    from tests.publish import pds

    why = pds.missing()
    if why:
        print(f"bluesky: skipped ({why})")
        return
    import json

    with tempfile.TemporaryDirectory() as tmp, pds.running_network(Path(tmp)) as network:
        data_dir = Path(tmp) / "app"
        data_dir.mkdir()
        options = {"bluesky": {"base_url": network["pds_url"]}}
        app = make_app(data_dir, ("bluesky",), options)
        runtime = app.extensions["trip_companion.runtime"]
        with runtime.sessions() as s:
            runtime.credentials(s.query(School).one().id).save("bluesky", {
                "base_url": network["pds_url"], "identifier": network["handle"],
                "app_password": network["app_password"]})
        worker = start_worker(data_dir, 2, json.dumps(options))
        try:
            time.sleep(1.0)
            report("bluesky: Post now → record", latency(
                app, args.latency_runs, lambda pid: published(app, [pid]) == 1))
        finally:
            worker.terminate()
            worker.wait(10)


if __name__ == "__main__":
    main()
