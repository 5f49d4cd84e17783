"""Compose (R1, R2, R5, R16): live checks, a truthful button, approvals, overrides."""

from __future__ import annotations

import re

import pytest

from tests.conftest import Auth
from tests.images import gps_jpeg
from tests.test_capture_api import trip, upload
from trip_companion.models import AuditEntry, FeedEntry, Photo, Post, PostStatus, Role

ACTION = re.compile(r'<button id="submit"[^>]*>([^<]+)</button>')


def login(app, role):
    auth = Auth(app.test_client())
    auth.login(role)
    return auth


def new_post(auth, event_id):
    response = auth.post("/posts", data={"event_id": str(event_id)})
    assert response.status_code == 303
    return int(response.location.rsplit("/", 1)[1])


def check(auth, post_id, caption, **extra):
    response = auth.post(f"/posts/{post_id}/check", data={"caption": caption, **extra},
                         headers={"HX-Request": "true"})
    return response.status_code, response.get_data(as_text=True)


def label(html):
    return ACTION.search(html).group(1).strip()


@pytest.fixture
def staff(app):
    return login(app, Role.STAFF)


@pytest.fixture
def leader(app):
    return login(app, Role.SENIOR_LEADER)


def test_findings_appear_as_you_type_and_clear_when_fixed(staff, session):
    post_id = new_post(staff, trip(session).id)
    code, html = check(staff, post_id, "Well done Josh Smith on the climbing wall!")
    assert code == 200 and "<html" not in html
    assert 'data-rule="R2"' in html and "Josh Smith" in html and "Fix" in label(html)
    code, html = check(staff, post_id, "Well done Year 6 on the climbing wall!")
    assert 'data-rule="R2"' not in html and 'data-rule="R5"' not in html
    assert label(html) == "Send for approval"  # staff posts need approval by default
    session.expire_all()
    assert session.get(Post, post_id).caption == "Well done Year 6 on the climbing wall!"


def test_blocked_post_cannot_be_submitted(staff, session):
    post_id = new_post(staff, trip(session).id)
    response = staff.post(f"/posts/{post_id}/submit", data={"caption": "Great climb, Amy!"})
    assert response.status_code == 422 and "Fix" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Post, post_id).status == PostStatus.DRAFT


def test_staff_post_goes_for_approval_and_a_leader_approves(app, staff, leader, session):
    post_id = new_post(staff, trip(session).id)
    staff.post(f"/posts/{post_id}/submit", data={"caption": "Year 6 reached the summit today."})
    session.expire_all()
    assert session.get(Post, post_id).status == PostStatus.PENDING
    queue = leader.client.get("/posts/queue").get_data(as_text=True)
    assert "Year 6 reached the summit today." in queue
    assert leader.post(f"/posts/{post_id}/approve").status_code == 303
    session.expire_all()
    post = session.get(Post, post_id)
    # during the trip the event exception applies, so it goes out now on the school feed
    assert post.status == PostStatus.PUBLISHED and post.approved_by is not None
    assert session.query(FeedEntry).count() == 1


def test_nobody_approves_their_own_post(app, leader, session):
    other = login(app, Role.HEADTEACHER)
    # a leader's post waiting for approval (e.g. sent before a profile change)
    post_id = new_post(leader, trip(session).id)
    post = session.get(Post, post_id)
    post.caption, post.status = "Year 6 are having a great time.", PostStatus.PENDING
    session.commit()
    leader.post(f"/posts/{post_id}/approve")
    session.expire_all()
    assert session.get(Post, post_id).status == PostStatus.PENDING
    assert "nobody approves their own" in leader.client.get("/posts/queue").get_data(
        as_text=True)
    assert other.post(f"/posts/{post_id}/approve").status_code == 303
    session.expire_all()
    assert session.get(Post, post_id).status == PostStatus.PUBLISHED


def test_send_back_needs_a_comment_and_reaches_the_author(staff, leader, session):
    post_id = new_post(staff, trip(session).id)
    staff.post(f"/posts/{post_id}/submit", data={"caption": "Year 6 at the lake."})
    leader.post(f"/posts/{post_id}/send-back", data={"comment": " "})
    session.expire_all()
    assert session.get(Post, post_id).status == PostStatus.PENDING
    leader.post(f"/posts/{post_id}/send-back", data={"comment": "Add a photo description."})
    page = staff.client.get(f"/posts/{post_id}").get_data(as_text=True)
    assert "Sent back: Add a photo description." in page


def test_leader_overrides_a_warning_with_a_reason_but_never_a_block(leader, session):
    post_id = new_post(leader, trip(session).id)
    _code, html = check(leader, post_id, "Excited about @dextnott speaking to us.")
    assert 'data-rule="R6"' in html and label(html).startswith("Override")
    key = re.search(r'name="key" value="([^"]+)"', html).group(1)
    response = leader.post(f"/posts/{post_id}/override",
                           data={"caption": "Excited about @dextnott speaking to us.",
                                 "key": key, f"reason:{key}": "Our visiting author's account"})
    assert response.status_code == 303
    html = leader.client.get(f"/posts/{post_id}").get_data(as_text=True)
    assert label(html) in ("Post now",) or label(html).startswith("Schedule")
    entry = session.query(AuditEntry).filter_by(action="post.override").one()
    assert "Our visiting author's account" in entry.details
    # a block offers no override at all
    _code, html = check(leader, post_id, "Well done Josh Smith.")
    assert 'data-rule="R2"' in html and 'formaction' not in html.split('data-rule="R2"')[1][:600]


def test_urgent_news_reason_only_for_leaders(staff, session):
    post_id = new_post(staff, trip(session).id)
    response = staff.post(f"/posts/{post_id}/submit",
                          data={"caption": "School is closed today.", "urgent_reason": "snow"})
    assert response.status_code == 422
    assert "Only a senior leader" in response.get_data(as_text=True)


def test_fixture_result_template(app, session):
    from trip_companion.models import Event

    head = login(app, Role.HEADTEACHER)
    fixture = session.query(Event).filter(Event.title.like("U11%")).one()
    post_id = new_post(head, fixture.id)
    head.post(f"/posts/{post_id}/fixture-result",
              data={"team": "U11 football", "ours": "3", "theirs": "1",
                    "opponent": "Brookfield Primary"})
    session.expire_all()
    caption = session.get(Post, post_id).caption
    assert "3" in caption and "Brookfield Primary" in caption
    _code, html = check(head, post_id, caption)
    assert 'finding-block' not in html


def test_photos_with_alt_text_are_checked_too(staff, session):
    event_id = trip(session).id
    receipt = upload(staff, event_id, gps_jpeg()).get_json()
    post_id = new_post(staff, event_id)
    pid = receipt["photo_id"]
    _code, html = check(staff, post_id, "Year 6 on the lake.",
                       photo=str(pid), **{f"alt-{pid}": "Josh Smith paddling"})
    assert 'data-rule="R2"' in html
    _code, html = check(staff, post_id, "Year 6 on the lake.",
                       photo=str(pid), **{f"alt-{pid}": "Pupils paddling canoes seen from behind"})
    assert 'data-rule="R2"' not in html
    session.expire_all()
    assert [pp.photo_id for pp in session.get(Post, post_id).photos] == [pid]
    assert session.get(Photo, pid) is not None


def test_office_cannot_compose(app, session):
    office = login(app, Role.OFFICE)
    assert office.post("/posts", data={"event_id": str(trip(session).id)}).status_code == 403


@pytest.mark.parametrize(("args", "code", "rules"), [
    (["Well done Josh a better lesson today"], 1, {"R5", "R2"}),
    (["Don't forget the PE kits, Year 4"], 0, set()),
    (["gr8 day lol"], 0, {"R8"}),
    (["Excited about @dextnott speaking to us"], 0, {"R6"}),
])
def test_check_command_json(runner, args, code, rules):
    import json

    result = runner.invoke(args=["check", "--at", "2026-11-25T10:00", "--json", *args])
    assert result.exit_code == code, result.output
    report = json.loads(result.output)
    found = {f["rule"] for f in report["findings"] if f["severity"] != "info"}
    assert rules <= found and (rules or not any(
        f["severity"] == "block" for f in report["findings"]))
    assert report["allowed_now"] is True  # Wednesday 10:00


def test_check_command_schedules_friday_evening_for_monday(runner):
    import json

    result = runner.invoke(args=["check", "--at", "2026-11-27T18:30", "--json",
                                 "Year 6 had a great week."])
    report = json.loads(result.output)
    assert result.exit_code == 0 and report["allowed_now"] is False
    assert report["next_allowed"] == "2026-11-30T08:00:00+00:00"
    plain = runner.invoke(args=["check", "--at", "2026-11-27T18:30", "Year 6 had a great week."])
    assert "May go out: Mon 30 Nov 2026 08:00" in plain.output


def test_check_command_with_an_event_allows_the_weekend(runner, session):
    import json

    from trip_companion.models import Event

    event = session.query(Event).filter(Event.title.like("Year 6%")).one()
    at = event.starts_at.isoformat()
    result = runner.invoke(args=["check", "--event", str(event.id), "--at", at, "--json",
                                 "Year 6 are on the lake."])
    assert json.loads(result.output)["allowed_now"] is True
    bad = runner.invoke(args=["check", "--event", "9999", "Year 6"])
    assert bad.exit_code == 2 and "no event 9999" in bad.output


def test_event_page_lists_its_posts(staff, session):
    event_id = trip(session).id
    post_id = new_post(staff, event_id)
    staff.post(f"/posts/{post_id}/submit", data={"caption": "Year 6 canoeing on the lake."})
    page = staff.client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "Year 6 canoeing on the lake." in page and "Pending" in page
    assert "Write a post" in page
