"""MastodonPublisher against the fake Mastodon server on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.publish.fakes.mastodon_api import FakeMastodon
from tests.publish.helpers import STALL, TIMEOUT, jpeg, outgoing
from trip_companion.publish import (
    ConnectionBroken,
    Image,
    OutgoingPost,
    PermanentFailure,
    RetryLater,
)
from trip_companion.publish.credentials import FileCredentialStore
from trip_companion.publish.mastodon import MastodonPublisher


@pytest.fixture
def mastodon(mastodon_store: FileCredentialStore) -> Iterator[MastodonPublisher]:
    with MastodonPublisher(mastodon_store, timeout=TIMEOUT, poll_interval=0.01) as publisher:
        yield publisher


def test_posts_photos_with_descriptions_and_idempotency_key(mastodon: MastodonPublisher,
                                                            fake_mastodon: FakeMastodon):
    post = outgoing(count=4)
    published = mastodon.publish(post)
    [status] = fake_mastodon.posts
    assert published.remote_id == status["id"] and published.url == status["url"]
    assert status["source"] == post.text and status["visibility"] == "public"
    assert [m["description"] for m in status["media_attachments"]] == [
        i.alt for i in post.images]
    [create] = fake_mastodon.calls("create_status")
    assert create.headers["Idempotency-Key"] == post.key


def test_waits_for_media_still_processing(mastodon_store: FileCredentialStore):
    with FakeMastodon(processing_polls=2) as fake, MastodonPublisher(
            mastodon_store, base_url=fake.url, timeout=TIMEOUT, poll_interval=0.01) as m:
        m.publish(outgoing(count=1))
        assert len(fake.calls("media_get")) == 3  # 206, 206, then 200
        assert len(fake.posts) == 1


def test_limits_come_from_the_instance(mastodon_store: FileCredentialStore):
    with FakeMastodon(max_characters=1000, image_size_limit=8_000_000) as fake, \
            MastodonPublisher(mastodon_store, base_url=fake.url, timeout=TIMEOUT) as m:
        limits = m.limits()
    assert (limits.max_chars, limits.max_image_bytes, limits.max_images) == (1000, 8_000_000, 4)
    assert limits.max_side == 4096 and limits.max_alt_chars == 1500


def test_photo_over_the_instance_limit_is_refused_before_upload(
        mastodon_store: FileCredentialStore):
    with FakeMastodon(image_size_limit=500) as fake, MastodonPublisher(
            mastodon_store, base_url=fake.url, timeout=TIMEOUT) as m:
        big = Image(jpeg(400, 300), "A big photo", 400, 300)
        with pytest.raises(PermanentFailure, match="Photo 1 is too large for Mastodon"):
            m.publish(OutgoingPost(key="k", text="Hello", images=(big,)))
        assert fake.calls("media_upload") == []


def test_429_waits_until_the_iso_reset_time(mastodon: MastodonPublisher,
                                            fake_mastodon: FakeMastodon):
    reset = (datetime.now(UTC) + timedelta(seconds=300)).isoformat()
    fake_mastodon.fail("media_upload", 429, {"error": "Too many requests"},
                       {"X-RateLimit-Reset": reset, "X-RateLimit-Remaining": "0"})
    with pytest.raises(RetryLater) as caught:
        mastodon.publish(outgoing())
    assert 297 <= caught.value.retry_after_seconds <= 300


def test_503_is_retry_later(mastodon: MastodonPublisher, fake_mastodon: FakeMastodon):
    fake_mastodon.fail("create_status", 503, {"error": "Service Unavailable"},
                       {"Retry-After": "45"})
    with pytest.raises(RetryLater) as caught:
        mastodon.publish(outgoing())
    assert caught.value.retry_after_seconds == 45
    mastodon.publish(outgoing(attempt=2))
    assert len(fake_mastodon.posts) == 1


def test_timeout_after_the_status_was_created_does_not_duplicate(
        mastodon: MastodonPublisher, fake_mastodon: FakeMastodon):
    fake_mastodon.slow("create_status", STALL, after=True)
    with pytest.raises(RetryLater):
        mastodon.publish(outgoing())
    time.sleep(STALL)  # let the stalled request finish on the server
    retried = mastodon.publish(outgoing(attempt=2))
    assert [s["id"] for s in fake_mastodon.posts] == [retried.remote_id]
    # The retry looked first and found it; within the hour the key would also have held.
    assert len(fake_mastodon.calls("create_status")) == 1


def test_validation_error_is_permanent_with_mastodons_words(mastodon: MastodonPublisher,
                                                           fake_mastodon: FakeMastodon):
    fake_mastodon.fail("create_status", 422,
                       {"error": "Validation failed: Text character limit of 500 exceeded"})
    with pytest.raises(PermanentFailure, match="Text character limit of 500 exceeded"):
        mastodon.publish(outgoing())


def test_revoked_token_breaks_the_connection(mastodon: MastodonPublisher,
                                             fake_mastodon: FakeMastodon):
    fake_mastodon.token = "a-new-token-the-school-made"
    with pytest.raises(ConnectionBroken, match="access token is invalid"):
        mastodon.publish(outgoing())
    assert mastodon.health().state == "broken"


def test_delete_removes_status_and_media(mastodon: MastodonPublisher,
                                         fake_mastodon: FakeMastodon):
    published = mastodon.publish(outgoing())
    mastodon.delete(published)
    mastodon.delete(published)  # already gone: still fine
    assert fake_mastodon.posts == []
    assert fake_mastodon.statuses[published.remote_id]["media_deleted"] is True


def test_replies_cannot_be_switched_off_and_the_screen_says_so():
    assert MastodonPublisher.can_disable_replies is False
    assert "cannot switch replies off" in MastodonPublisher.replies_note


def test_health_ok(mastodon: MastodonPublisher):
    assert mastodon.health().state == "ok"


def _retry(post: OutgoingPost) -> OutgoingPost:
    return OutgoingPost(key=post.key, text=post.text, images=post.images,
                        created_at=post.created_at, attempt=post.attempt + 1)


CAPTION = ("Year 6 & friends reached the top!\nPhotos: https://www.oakfield.sch.uk/news/2026/"
           "11/year-6-residential-day-two\n\nMore tomorrow. #Residential #Year6")


def test_a_retry_after_the_key_is_forgotten_finds_the_first_status(
        mastodon: MastodonPublisher, fake_mastodon: FakeMastodon):
    """The first answer was lost and an hour passed: no second status, no new uploads."""
    first = outgoing(count=2, text=CAPTION)
    published = mastodon.publish(first)
    fake_mastodon.forget_idempotency_keys()
    uploads = len(fake_mastodon.calls("media_upload"))
    assert mastodon.publish(_retry(first)) == published
    assert len(fake_mastodon.posts) == 1
    assert len(fake_mastodon.calls("media_upload")) == uploads


def test_a_retry_posts_when_the_first_try_never_arrived(mastodon: MastodonPublisher,
                                                       fake_mastodon: FakeMastodon):
    published = mastodon.publish(_retry(outgoing(count=1, text=CAPTION)))
    assert [s["id"] for s in fake_mastodon.posts] == [published.remote_id]


def test_an_older_status_with_the_same_words_is_not_taken_for_ours(
        mastodon: MastodonPublisher, fake_mastodon: FakeMastodon):
    """Last week's identical caption must not stop today's post."""
    mastodon.publish(outgoing(count=1, text="A lovely day."))
    later = outgoing(key="post-2", count=1, text="A lovely day.")
    later = OutgoingPost(key=later.key, text=later.text, images=later.images,
                         created_at=datetime.now(UTC) + timedelta(minutes=10), attempt=2)
    mastodon.publish(later)
    assert len(fake_mastodon.posts) == 2


def test_status_html_reads_back_as_the_text_we_sent():
    from tests.publish.fakes.mastodon_api import render
    from trip_companion.publish.mastodon import plain_text

    assert plain_text(render(CAPTION)) == CAPTION
