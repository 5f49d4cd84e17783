"""FacebookPublisher against the fake Graph API on 127.0.0.1."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from tests.publish.fakes.facebook_api import FakeFacebook, graph_error
from tests.publish.helpers import STALL, TIMEOUT, outgoing, wait_for
from trip_companion.publish import ConnectionBroken, PermanentFailure, RetryLater
from trip_companion.publish.credentials import FileCredentialStore
from trip_companion.publish.facebook import FacebookPublisher


@pytest.fixture
def facebook(facebook_store: FileCredentialStore,
             fake_facebook: FakeFacebook) -> Iterator[FacebookPublisher]:
    with FacebookPublisher(facebook_store, base_url=fake_facebook.graph_url,
                           timeout=TIMEOUT) as publisher:
        yield publisher


def test_posts_unpublished_photos_with_alt_text_then_one_feed_post(
        facebook: FacebookPublisher, fake_facebook: FakeFacebook):
    post = outgoing(count=4)
    published = facebook.publish(post)
    [page_post] = fake_facebook.posts
    assert published.remote_id == page_post["id"] and page_post["message"] == post.text
    photos = [fake_facebook.photos[i] for i in page_post["photo_ids"]]
    assert [p["alt"] for p in photos] == [i.alt for i in post.images]
    assert not any(p["published"] for p in photos)
    assert published.extra["photo_ids"] == page_post["photo_ids"]


def test_page_throttling_waits_as_the_usage_header_says(facebook: FacebookPublisher,
                                                        fake_facebook: FakeFacebook):
    usage = {"100200300400500": [{"type": "pages", "call_count": 100, "total_cputime": 40,
                                  "total_time": 40, "estimated_time_to_regain_access": 7}]}
    fake_facebook.fail("feed", 400, graph_error(32, "Page request limit reached"),
                       {"X-Business-Use-Case-Usage": json.dumps(usage)})
    with pytest.raises(RetryLater) as caught:
        facebook.publish(outgoing())
    assert caught.value.retry_after_seconds == 7 * 60


def test_http_429_with_retry_after(facebook: FacebookPublisher, fake_facebook: FakeFacebook):
    fake_facebook.fail("photos", 429, graph_error(4, "Application request limit reached"),
                       {"Retry-After": "90"})
    with pytest.raises(RetryLater) as caught:
        facebook.publish(outgoing())
    assert caught.value.retry_after_seconds == 90


def test_503_is_retry_later_and_the_retry_posts_once(facebook: FacebookPublisher,
                                                     fake_facebook: FakeFacebook):
    fake_facebook.fail("feed", 503, graph_error(2, "Service temporarily unavailable"))
    with pytest.raises(RetryLater):
        facebook.publish(outgoing())
    facebook.publish(outgoing(attempt=2))
    assert len(fake_facebook.posts) == 1


def test_timeout_after_the_post_was_created_returns_it(facebook: FacebookPublisher,
                                                       fake_facebook: FakeFacebook):
    fake_facebook.slow("feed", STALL, after=True)
    first = facebook.publish(outgoing())
    again = facebook.publish(outgoing(attempt=2))
    assert [p["id"] for p in fake_facebook.posts] == [first.remote_id] == [again.remote_id]
    assert first.extra["photo_ids"] == fake_facebook.posts[0]["photo_ids"]
    assert len(fake_facebook.calls("feed")) == 1


def test_post_that_appears_after_the_timeout_is_found_on_retry(facebook: FacebookPublisher,
                                                               fake_facebook: FakeFacebook):
    fake_facebook.slow("feed", STALL, after=False)
    with pytest.raises(RetryLater):
        facebook.publish(outgoing())
    wait_for(lambda: fake_facebook.posts)
    retried = facebook.publish(outgoing(attempt=2))
    assert [p["id"] for p in fake_facebook.posts] == [retried.remote_id]


def test_the_retry_knows_its_post_in_whatever_form_the_page_gives_the_text_back(
        facebook: FacebookPublisher, fake_facebook: FakeFacebook):
    """Re-spaced, and composed (NFC) where we sent a decomposed é: the same post."""
    import unicodedata

    text = "Cafe\u0301 stop  on the way to the lake!"
    fake_facebook.slow("feed", STALL, after=False)
    with pytest.raises(RetryLater):
        facebook.publish(outgoing(text=text))
    wait_for(lambda: fake_facebook.posts)
    stored = fake_facebook.page_posts[fake_facebook.posts[0]["id"]]
    stored["message"] = unicodedata.normalize("NFC", " ".join(text.split()))
    retried = facebook.publish(outgoing(text=text, attempt=2))
    assert [p["id"] for p in fake_facebook.posts] == [retried.remote_id]


def test_revoked_token_breaks_the_connection_in_plain_words(facebook: FacebookPublisher,
                                                            fake_facebook: FakeFacebook):
    fake_facebook.token = None  # the admin changed their Facebook password
    with pytest.raises(ConnectionBroken, match="Facebook password was changed"):
        facebook.publish(outgoing())
    assert facebook.health().state == "broken"


def test_http_401_also_breaks_the_connection(facebook: FacebookPublisher,
                                             fake_facebook: FakeFacebook):
    fake_facebook.fail("photos", 401, graph_error(190, "Invalid OAuth access token.", 467))
    with pytest.raises(ConnectionBroken, match="no longer valid"):
        facebook.publish(outgoing())


def test_bad_parameter_is_permanent(facebook: FacebookPublisher,
                                    fake_facebook: FakeFacebook):
    fake_facebook.fail("photos", 400, graph_error(100, "(#100) Invalid parameter"))
    with pytest.raises(PermanentFailure, match="Invalid parameter") as caught:
        facebook.publish(outgoing())
    assert not isinstance(caught.value, ConnectionBroken)


def test_delete_removes_the_post_and_its_photos(facebook: FacebookPublisher,
                                                fake_facebook: FakeFacebook):
    published = facebook.publish(outgoing(count=3))
    facebook.delete(published)
    facebook.delete(published)  # already gone: still fine
    assert fake_facebook.posts == []
    assert all(fake_facebook.photos[i]["deleted"] for i in published.extra["photo_ids"])


def test_comments_cannot_be_switched_off_and_the_screen_says_so():
    assert FacebookPublisher.can_disable_replies is False
    assert "cannot switch comments off" in FacebookPublisher.replies_note


def test_health_names_the_page(facebook: FacebookPublisher):
    health = facebook.health()
    assert health.state == "ok" and "Riverside Primary School" in health.message


def test_a_token_that_expires_soon_is_reported(facebook_store: FileCredentialStore,
                                               fake_facebook: FakeFacebook):
    stored = facebook_store.load("facebook")
    facebook_store.save("facebook", {**stored, "expires_at": time.time() + 3 * 86400})
    with FacebookPublisher(facebook_store, base_url=fake_facebook.graph_url,
                           timeout=TIMEOUT) as facebook:
        health = facebook.health()
    assert health.state == "expiring" and "reconnect the Page" in health.message
