"""XPublisher against the fake X API on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.publish.fakes.x_api import USER, FakeX
from tests.publish.helpers import STALL, TIMEOUT, outgoing, wait_for
from trip_companion.publish import ConnectionBroken, PermanentFailure, RetryLater
from trip_companion.publish.credentials import FileCredentialStore
from trip_companion.publish.x import XPublisher
from trip_companion.publish.x_oauth import authorization_request, code_challenge, exchange_code


@pytest.fixture
def x(x_store: FileCredentialStore, fake_x: FakeX) -> Iterator[XPublisher]:
    with XPublisher(x_store, base_url=fake_x.url, timeout=TIMEOUT) as publisher:
        yield publisher


def test_posts_photos_with_alt_text_and_nobody_can_reply(x: XPublisher, fake_x: FakeX):
    post = outgoing(count=4)
    published = x.publish(post)
    [tweet] = fake_x.posts
    assert published.remote_id == tweet["id"]
    assert published.url == f"https://x.com/i/web/status/{tweet['id']}"
    assert tweet["text"] == post.text
    assert tweet["reply_settings"] == "mentionedUsers"
    assert [fake_x.media[m]["alt"] for m in tweet["media_ids"]] == [i.alt for i in post.images]
    assert len(fake_x.calls("media_upload")) == 4


def test_429_waits_until_the_reset_header(x: XPublisher, fake_x: FakeX):
    reset = int(time.time()) + 120
    fake_x.fail("create_tweet", 429, {"title": "Too Many Requests", "status": 429,
                                      "detail": "Too Many Requests", "type": "about:blank"},
                {"x-rate-limit-reset": str(reset), "x-rate-limit-remaining": "0"})
    with pytest.raises(RetryLater) as caught:
        x.publish(outgoing())
    assert 117 <= caught.value.retry_after_seconds <= 120
    assert fake_x.posts == []


def test_503_is_retried_later_and_the_retry_posts_once(x: XPublisher, fake_x: FakeX):
    fake_x.fail("create_tweet", 503, {"title": "Service Unavailable", "status": 503})
    with pytest.raises(RetryLater):
        x.publish(outgoing())
    x.publish(outgoing(attempt=2))
    assert len(fake_x.posts) == 1


def test_timeout_after_the_post_was_created_returns_it(x: XPublisher, fake_x: FakeX):
    fake_x.slow("create_tweet", STALL, after=True)
    first = x.publish(outgoing())
    again = x.publish(outgoing(attempt=2))
    assert [t["id"] for t in fake_x.posts] == [first.remote_id] == [again.remote_id]
    assert len(fake_x.calls("create_tweet")) == 1


def test_post_that_appears_after_the_timeout_is_found_on_retry(x: XPublisher, fake_x: FakeX):
    fake_x.slow("create_tweet", STALL, after=False)  # created only after we gave up
    with pytest.raises(RetryLater):
        x.publish(outgoing())
    wait_for(lambda: fake_x.posts)
    retried = x.publish(outgoing(attempt=2))
    assert [t["id"] for t in fake_x.posts] == [retried.remote_id]
    assert len(fake_x.calls("create_tweet")) == 1


def test_duplicate_answer_resolves_to_the_existing_post(x: XPublisher, fake_x: FakeX):
    first = x.publish(outgoing())
    again = x.publish(outgoing())  # a careless caller that says attempt 1 again
    assert again.remote_id == first.remote_id
    assert len(fake_x.posts) == 1


def test_expired_access_token_is_refreshed_once_and_persisted(
        x_store: FileCredentialStore, fake_x: FakeX):
    old = x_store.load("x")
    x_store.save("x", {**old, "expires_at": time.time() - 10})
    with XPublisher(x_store, base_url=fake_x.url, timeout=TIMEOUT) as x:
        x.publish(outgoing())
    new = x_store.load("x")
    assert fake_x.refresh_tokens_used == [old["refresh_token"]]
    assert new["refresh_token"] != old["refresh_token"]
    assert new["expires_at"] > time.time() + 3600


def test_401_with_revoked_tokens_breaks_the_connection(x: XPublisher, fake_x: FakeX):
    fake_x.revoke_all()
    with pytest.raises(ConnectionBroken, match="headteacher needs to reconnect"):
        x.publish(outgoing())
    assert x.health().state == "broken"
    assert fake_x.posts == []


def test_bad_request_is_permanent_with_the_reason(x: XPublisher, fake_x: FakeX):
    fake_x.fail("create_tweet", 400, {"title": "Invalid Request", "status": 400,
                                      "detail": "One or more parameters to your request "
                                                "was invalid."})
    with pytest.raises(PermanentFailure, match="parameters to your request was invalid"):
        x.publish(outgoing())


def test_text_over_280_weighted_is_refused_before_sending(x: XPublisher, fake_x: FakeX):
    with pytest.raises(PermanentFailure, match="too long for X"):
        x.publish(outgoing(text="日本" * 71))  # 142 characters, weight 284
    assert fake_x.requests == []


def test_delete_removes_the_post_and_tolerates_a_repeat(x: XPublisher, fake_x: FakeX):
    published = x.publish(outgoing())
    x.delete(published)
    x.delete(published)
    assert fake_x.posts == []


def test_health_reports_the_account(x: XPublisher):
    health = x.health()
    assert health.state == "ok"
    assert USER["username"] in health.message


def test_health_warns_when_there_is_no_refresh_token(x_store: FileCredentialStore,
                                                     fake_x: FakeX):
    x_store.save("x", {**x_store.load("x"), "refresh_token": None})
    with XPublisher(x_store, base_url=fake_x.url, timeout=TIMEOUT) as x:
        assert x.health().state == "expiring"


def test_pkce_sign_in_exchanges_the_code_for_tokens(fake_x: FakeX):
    request = authorization_request(fake_x.client_id, "https://school.test/x/callback")
    query = parse_qs(urlsplit(request.url).query)
    assert query["state"] == [request.state]
    assert query["code_challenge"] == [code_challenge(request.code_verifier)]
    code = fake_x.approve(request.url)
    with httpx.Client(base_url=fake_x.url) as client:
        tokens = exchange_code(client, code=code, code_verifier=request.code_verifier,
                               client_id=fake_x.client_id,
                               redirect_uri="https://school.test/x/callback")
    assert tokens["refresh_token"] in fake_x.live_refresh_tokens
    assert tokens["expires_at"] > time.time() + 3600


def test_pkce_exchange_with_the_wrong_verifier_is_refused(fake_x: FakeX):
    request = authorization_request(fake_x.client_id, "https://school.test/x/callback")
    code = fake_x.approve(request.url)
    with httpx.Client(base_url=fake_x.url) as client, pytest.raises(ConnectionBroken):
        exchange_code(client, code=code, code_verifier="not-the-verifier",
                      client_id=fake_x.client_id,
                      redirect_uri="https://school.test/x/callback")


def test_a_link_without_a_scheme_weighs_23_before_sending(x: XPublisher, fake_x: FakeX):
    """The same count as the compose page's check: ``oakfield.sch.uk`` is a link to X."""
    text = "Photos: " + " ".join(["oakfield.sch.uk"] * 12)  # 127 characters, weight 8+12*24-1
    with pytest.raises(PermanentFailure, match="too long for X: 295 characters"):
        x.publish(outgoing(text=text))
    assert fake_x.requests == []
