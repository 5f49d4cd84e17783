"""Redis for several processes: the job queue and the sign-in rate limit, on a real server.

With ``TRIP_COMPANION_REDIS_URL`` the app and ``trip-companion worker`` share one huey
queue, and with ``TRIP_COMPANION_RATELIMIT_STORAGE_URI`` several app processes share one
count of wrong passwords.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
import redis

from tests.conftest import EMAILS, PASSWORD, ROOT, build_app, csrf_from
from tests.redis_server import RedisServer
from tests.test_delivery import scheduled_post, state, wait_for, worker, x_app
from trip_companion.models import PostStatus, Role
from trip_companion.worker import make_huey


@pytest.fixture(scope="module")
def redis_url():
    with RedisServer() as server:
        yield server.url


def test_the_queue_is_redis_when_configured(tmp_path, redis_url):
    from huey import RedisHuey

    assert isinstance(make_huey({"REDIS_URL": redis_url, "DATA_DIR": str(tmp_path)}), RedisHuey)
    assert not (tmp_path / "queue.sqlite3").exists()


@pytest.mark.slow
def test_a_worker_process_delivers_what_the_app_queued_in_redis(tmp_path, demo_template,
                                                                   fake_x, redis_url):
    app = x_app(tmp_path, demo_template, fake_x, QUEUE_IMMEDIATE=False, REDIS_URL=redis_url)
    post_id = scheduled_post(app, "Year 6 reached the top of the climbing wall.")
    env = {**os.environ, "TRIP_COMPANION_DATA_DIR": app.config["DATA_DIR"],
           "TRIP_COMPANION_REDIS_URL": redis_url,
           "TRIP_COMPANION_PUBLISH_OPTIONS": json.dumps({"x": {"base_url": fake_x.url,
                                                                "timeout": 10}})}
    process = worker(env)
    try:
        app.extensions["trip_companion.queue"].kick()  # into Redis, for the other process
        assert wait_for(lambda: state(app, post_id)[0] == PostStatus.PUBLISHED, 60)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)
    assert len(fake_x.posts) == 1
    assert not (tmp_path / "x" / "queue.sqlite3").exists()


_ANOTHER_PROCESS = """
import sys
from pathlib import Path
from tests.conftest import EMAILS, build_app, csrf_from
from trip_companion.models import Role
data_dir, template, storage, password = sys.argv[1:]
app = build_app(Path(data_dir), Path(template), LOGIN_RATE_LIMIT="3 per minute",
                RATELIMIT_STORAGE_URI=storage)
client = app.test_client()
token = csrf_from(client.get("/login").get_data(as_text=True))
print(client.post("/login", data={"email": EMAILS[Role.STAFF], "password": password,
                                  "csrf_token": token}).status_code)
"""


def _sign_in_elsewhere(tmp_path, template, storage: str, password: str) -> int:
    """One sign-in attempt from a second app process sharing the limiter's storage."""
    done = subprocess.run([sys.executable, "-c", _ANOTHER_PROCESS, str(tmp_path / "b"),
                           str(template), storage, password], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    return int(done.stdout.split()[-1])


@pytest.mark.parametrize("shared", [True, False])
def test_wrong_passwords_are_counted_across_app_processes(tmp_path, demo_template, redis_url,
                                                          shared):
    """Three wrong passwords in one process hold back the next try in another."""
    storage = redis_url.replace("/0", "/1") if shared else "memory://"
    redis.Redis.from_url(redis_url.replace("/0", "/1")).flushdb()
    app = build_app(tmp_path / "a", demo_template, LOGIN_RATE_LIMIT="3 per minute",
                    RATELIMIT_STORAGE_URI=storage)
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    codes = [client.post("/login", data={"email": EMAILS[Role.STAFF], "password": "wrong!!",
                                         "csrf_token": token}).status_code for _ in range(3)]
    assert codes == [401, 401, 401]
    elsewhere = _sign_in_elsewhere(tmp_path, demo_template, storage, PASSWORD)
    # Shared through Redis: even the right password waits. In memory: each process counts
    # alone, which is why several app processes need Redis.
    assert elsewhere == (429 if shared else 302)
