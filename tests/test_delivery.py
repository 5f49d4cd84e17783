"""Delivery through the durable queue: exactly once, retries that wait as told, clear failures.

The networks are the fakes of tests/publish/fakes (their documented contracts on 127.0.0.1);
the worker is the real ``trip-companion worker`` process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import ROOT, Auth, build_app, receive_photo
from tests.smtp import MailServer
from trip_companion import compose, delivery, profile
from trip_companion.models import (
    Connection,
    Delivery,
    DeliveryStatus,
    Event,
    Post,
    PostStatus,
    Role,
    School,
    User,
    utcnow,
)


def x_app(tmp_path, template, fake_x, **extra):
    app = build_app(tmp_path / "x", template,
                    PUBLISH_OPTIONS={"x": {"base_url": fake_x.url, "timeout": 3}}, **extra)
    return connect_x(app, fake_x)


def x_app_on_postgres(request, tmp_path, fake_x, **extra):
    """The demo school on a real PostgreSQL database, posting to X."""
    from trip_companion import create_app, db, demo

    pg_url = request.getfixturevalue("pg_url")
    db.upgrade(pg_url)
    app = create_app({"DATA_DIR": str(tmp_path / "x"), "DATABASE_URL": pg_url, "TESTING": True,
                      "QUEUE_IMMEDIATE": True,
                      "PUBLISH_OPTIONS": {"x": {"base_url": fake_x.url, "timeout": 3}}, **extra})
    request.addfinalizer(app.extensions["trip_companion.engine"].dispose)
    with app.extensions["trip_companion.runtime"].sessions() as s:
        demo.run(s, utcnow())
        s.commit()
    return connect_x(app, fake_x)


def connect_x(app, fake_x):
    runtime = app.extensions["trip_companion.runtime"]
    with runtime.sessions() as s:
        school = s.query(School).one()
        head = s.query(User).filter_by(role=Role.HEADTEACHER).one()
        profile.save(s, school, profile.Settings(networks=("x",)), head)
        s.commit()
        tokens = fake_x.issue_tokens()
        runtime.credentials(school.id).save("x", {
            "client_id": fake_x.client_id, "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            "expires_at": datetime.now(UTC).timestamp() + 7200})
    return app


def scheduled_post(app, caption: str) -> int:
    """A headteacher's post on the trip, with one photo, submitted (so scheduled now)."""
    photo_id = receive_photo(app, Role.HEADTEACHER, "deliverytest1")
    runtime = app.extensions["trip_companion.runtime"]
    with runtime.sessions() as s:
        head = s.query(User).filter_by(role=Role.HEADTEACHER).one()
        event = s.query(Event).filter(Event.title.like("Year 6%")).one()
        post = compose.start(s, head, event)
        compose.save(s, post, caption=caption, photo_ids=[photo_id],
                     alt_texts={photo_id: "Pupils on a climbing wall, from behind"},
                     faces={photo_id: False})
        verdict = compose.submit(s, post, head, utcnow(), head.school)
        assert verdict.step == "now", verdict.label
        s.commit()
        return post.id


def run_due(app) -> list[str]:
    runtime = app.extensions["trip_companion.runtime"]
    with runtime.sessions() as s:
        return [delivery.run(s, runtime, d, utcnow(), app.config)
                for d in delivery.due(s, utcnow())]


def state(app, post_id):
    with app.extensions["trip_companion.runtime"].sessions() as s:
        post = s.get(Post, post_id)
        d = post.deliveries[0]
        return post.status, d.status, d.attempts, d.next_attempt_at, d.last_error


def test_posts_once_with_alt_text(tmp_path, demo_template, fake_x):
    app = x_app(tmp_path, demo_template, fake_x)
    post_id = scheduled_post(app, "Year 6 reached the top of the climbing wall.")
    assert run_due(app) == ["sent"]
    assert run_due(app) == []  # nothing left to do
    assert len(fake_x.posts) == 1
    assert fake_x.posts[0]["reply_settings"] == "mentionedUsers"  # R7: no replies
    assert state(app, post_id)[0] == PostStatus.PUBLISHED


def test_429_waits_until_the_reset(tmp_path, demo_template, fake_x):
    app = x_app(tmp_path, demo_template, fake_x)
    post_id = scheduled_post(app, "Year 6 reached the top of the climbing wall.")
    reset = int(time.time()) + 120
    fake_x.fail("create_tweet", 429, {"title": "Too Many Requests", "status": 429},
                headers={"x-rate-limit-reset": str(reset), "x-rate-limit-remaining": "0"})
    assert run_due(app) == ["retry"]
    _status, dstatus, attempts, next_at, _error = state(app, post_id)
    assert dstatus == DeliveryStatus.WAITING and attempts == 1
    assert abs(next_at.timestamp() - reset) < 5
    assert run_due(app) == []  # not before the reset
    assert fake_x.posts == []


def test_503_retries_then_posts_once(tmp_path, demo_template, fake_x):
    app = x_app(tmp_path, demo_template, fake_x)
    post_id = scheduled_post(app, "Year 6 reached the top of the climbing wall.")
    fake_x.fail("create_tweet", 503, {"title": "Service Unavailable", "status": 503})
    assert run_due(app) == ["retry"]
    with app.extensions["trip_companion.runtime"].sessions() as s:
        s.get(Delivery, s.get(Post, post_id).deliveries[0].id).next_attempt_at = utcnow()
        s.commit()
    assert run_due(app) == ["sent"]
    assert len(fake_x.posts) == 1 and state(app, post_id)[0] == PostStatus.PUBLISHED


def test_401_marks_the_connection_broken_and_tells_people(tmp_path, demo_template, fake_x):
    with MailServer() as mail:
        app = x_app(tmp_path, demo_template, fake_x, SMTP_HOST="127.0.0.1",
                    SMTP_PORT=mail.port)
        post_id = scheduled_post(app, "Year 6 reached the top of the climbing wall.")
        fake_x.revoke_all()
        assert run_due(app) == ["failed"]
        status, dstatus, *_rest, error = state(app, post_id)
        assert status == PostStatus.FAILED and dstatus == DeliveryStatus.FAILED
        assert "X" in error and len(error) > 20
        with app.extensions["trip_companion.runtime"].sessions() as s:
            assert s.query(Connection).filter_by(network="x").one().status == "broken"
        assert len(mail.messages) == 1
        assert "head@demo.school" in mail.messages[0]["To"]
    head = Auth(app.test_client())  # and the dashboard says so, email or not
    head.login(Role.HEADTEACHER)
    assert "A post could not go out on x" in head.client.get("/").get_data(as_text=True)


def test_timeout_after_the_post_was_made_does_not_duplicate(tmp_path, demo_template, fake_x):
    app = x_app(tmp_path, demo_template, fake_x)
    post_id = scheduled_post(app, "Year 6 reached the top of the climbing wall.")
    fake_x.slow("create_tweet", 6, after=True)  # X posts it, but we never hear back
    outcome = run_due(app)
    if outcome == ["retry"]:  # the adapter may also find the post at once and say "sent"
        with app.extensions["trip_companion.runtime"].sessions() as s:
            s.get(Post, post_id).deliveries[0].next_attempt_at = utcnow()
            s.commit()
        outcome = run_due(app)
    assert outcome == ["sent"]
    assert len(fake_x.posts) == 1 and len(fake_x.calls("create_tweet")) == 1
    assert state(app, post_id)[0] == PostStatus.PUBLISHED


def test_unapproved_post_does_not_go_out_and_tells_its_author(tmp_path, demo_template):
    with MailServer() as mail:
        app = build_app(tmp_path / "p", demo_template, SMTP_HOST="127.0.0.1",
                        SMTP_PORT=mail.port)
        with app.extensions["trip_companion.runtime"].sessions() as s:
            teacher = s.query(User).filter_by(role=Role.STAFF).one()
            post = compose.start(s, teacher, None)
            post.caption, post.status = "Year 6 news.", PostStatus.PENDING
            post.scheduled_for = utcnow() - timedelta(minutes=1)
            s.commit()
            assert delivery.remind_unapproved(s, utcnow()) == 1
            assert delivery.remind_unapproved(s, utcnow(), {"SMTP_HOST": "127.0.0.1",
                                                            "SMTP_PORT": mail.port}) == 0
            assert s.get(Post, post.id).status == PostStatus.PENDING
        # the queue's sweep does the same with the app's configuration
        with app.extensions["trip_companion.runtime"].sessions() as s:
            post = compose.start(s, s.query(User).filter_by(role=Role.STAFF).one(), None)
            post.caption, post.status = "More news.", PostStatus.PENDING
            post.scheduled_for = utcnow() - timedelta(minutes=1)
            s.commit()
        app.extensions["trip_companion.queue"].kick()
        assert any("still waiting" in m["Subject"] for m in mail.messages)


def worker(env):
    return subprocess.Popen([sys.executable, "-m", "trip_companion.cli", "worker", "--workers",
                             "1"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_worker_killed_mid_post_posts_exactly_once(tmp_path, demo_template, fake_x, database,
                                                   request):
    if database == "postgresql":
        app = x_app_on_postgres(request, tmp_path, fake_x, QUEUE_IMMEDIATE=False)
    else:
        app = x_app(tmp_path, demo_template, fake_x, QUEUE_IMMEDIATE=False)
    post_id = scheduled_post(app, "Year 6 reached the top of the climbing wall.")
    env = {**os.environ, "TRIP_COMPANION_DATA_DIR": app.config["DATA_DIR"],
           "TRIP_COMPANION_DATABASE_URL": app.config["DATABASE_URL"],
           "TRIP_COMPANION_DELIVERY_LEASE_SECONDS": "2",
           "TRIP_COMPANION_PUBLISH_OPTIONS": json.dumps({"x": {"base_url": fake_x.url,
                                                                "timeout": 20}})}
    fake_x.slow("create_tweet", 15, after=True)  # the tweet exists; the answer hangs
    first = worker(env)
    try:
        app.extensions["trip_companion.queue"].kick()
        assert wait_for(lambda: len(fake_x.posts) == 1), "the worker never posted"
        os.killpg(first.pid, signal.SIGKILL)  # mid-call: the answer never arrives
        first.wait(10)
        assert state(app, post_id)[1] == DeliveryStatus.SENDING
        time.sleep(2.5)  # the lease runs out
        second = worker(env)
        try:
            app.extensions["trip_companion.queue"].kick()
            assert wait_for(lambda: state(app, post_id)[0] == PostStatus.PUBLISHED, 60)
        finally:
            os.killpg(second.pid, signal.SIGTERM)
            second.wait(10)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert len(fake_x.posts) == 1
    assert state(app, post_id)[2] == 2  # two attempts, one post


def test_removing_a_post_deletes_it_everywhere_and_keeps_a_copy(tmp_path, demo_template,
                                                                 fake_x):
    from trip_companion import removal
    from trip_companion.models import Incident

    app = x_app(tmp_path, demo_template, fake_x)
    runtime = app.extensions["trip_companion.runtime"]
    with runtime.sessions() as s:
        school = s.query(School).one()
        head = s.query(User).filter_by(role=Role.HEADTEACHER).one()
        profile.save(s, school, profile.Settings(networks=("feed", "x")), head)
        s.commit()
    post_id = scheduled_post(app, "Year 6 reached the top of the climbing wall.")
    assert sorted(run_due(app)) == ["sent", "sent"]
    assert len(fake_x.posts) == 1
    with runtime.sessions() as s:
        head = s.query(User).filter_by(role=Role.HEADTEACHER).one()
        incident = removal.remove(s, runtime, s.get(Post, post_id), head,
                                  "A parent asked us to take it down")
        s.commit()
        incident = s.get(Incident, incident.id)
        assert incident.copy_text == "Year 6 reached the top of the climbing wall."
        kept = json.loads(incident.copy_media)
        assert kept and runtime.store.exists(kept[0])
        assert s.get(Post, post_id).status == PostStatus.REMOVED
        assert all(d.status == DeliveryStatus.REMOVED for d in s.get(Post, post_id).deliveries)
    assert fake_x.posts == []  # deleted on X
    feed = app.test_client().get("/schools/demo/feed").get_data(as_text=True)
    assert "climbing wall" not in feed


def test_hourly_health_check_flags_a_dead_connection_and_emails(tmp_path, demo_template,
                                                                  fake_x):
    from trip_companion import connections

    with MailServer() as mail:
        app = x_app(tmp_path, demo_template, fake_x, SMTP_HOST="127.0.0.1",
                    SMTP_PORT=mail.port)
        runtime = app.extensions["trip_companion.runtime"]
        with runtime.sessions() as s:
            assert connections.check_all(s, runtime, utcnow(), app.config) == []
            assert s.query(Connection).one().status == "ok"
            fake_x.revoke_all()
            assert len(connections.check_all(s, runtime, utcnow(), app.config)) == 1
            assert s.query(Connection).one().status == "broken"
            assert connections.check_all(s, runtime, utcnow(), app.config) == []  # once
        assert len(mail.messages) == 1 and "x connection" in mail.messages[0]["Subject"]
        head = Auth(app.test_client())
        head.login(Role.HEADTEACHER)
        assert "x:" in head.client.get("/").get_data(as_text=True)


def test_a_scheduled_post_waits_for_its_time(tmp_path, demo_template):
    app = build_app(tmp_path / "s", demo_template)
    runtime = app.extensions["trip_companion.runtime"]
    with runtime.sessions() as s:
        head = s.query(User).filter_by(role=Role.HEADTEACHER).one()
        post = compose.start(s, head, None)  # school news, no event: R1 applies
        post.caption = "Parents' evening is next Thursday."
        saturday = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
        verdict = compose.submit(s, post, head, saturday, head.school)
        s.commit()
        assert verdict.step == "schedule" and verdict.label == "Schedule for Mon 08:00"
        monday = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
        assert s.get(Post, post.id).scheduled_for == monday
        assert delivery.due(s, monday - timedelta(minutes=1)) == []
        ready = delivery.due(s, monday)
        assert len(ready) == 1
        assert delivery.run(s, runtime, ready[0], monday) == "sent"
        assert s.get(Post, post.id).status == PostStatus.PUBLISHED


def test_a_post_removed_while_it_is_being_sent_does_not_stay_up(tmp_path, demo_template,
                                                                fake_x):
    from trip_companion import removal

    app = x_app(tmp_path, demo_template, fake_x)
    runtime = app.extensions["trip_companion.runtime"]
    post_id = scheduled_post(app, "Year 6 reached the top of the climbing wall.")
    with runtime.sessions() as s:
        [delivery_id] = delivery.due(s, utcnow())
    real_publish = type(runtime.publisher(1, "x")).publish

    def publish_then_removed(self, post):
        published = real_publish(self, post)
        with runtime.sessions() as s:  # the headteacher removes it at this very moment
            head = s.query(User).filter_by(role=Role.HEADTEACHER).one()
            removal.remove(s, runtime, s.get(Post, post_id), head, "Wrong photo")
            s.commit()
        return published

    import unittest.mock

    with unittest.mock.patch.object(type(runtime.publisher(1, "x")), "publish",
                                    publish_then_removed), runtime.sessions() as s:
        assert delivery.run(s, runtime, delivery_id, utcnow()) == "removed"
    assert fake_x.posts == []  # deleted again at once
    status, dstatus, *_ = state(app, post_id)
    assert status == PostStatus.REMOVED and dstatus == DeliveryStatus.REMOVED
    with runtime.sessions() as s:  # and nothing picks it up again
        assert delivery.due(s, utcnow()) == []
        assert delivery.claim(s, delivery_id, utcnow()) is None
