"""The school's own feed: FeedPublisher idempotency and the Atom document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.publish.helpers import outgoing
from trip_companion.publish import OutgoingPost, PermanentFailure, create_publisher
from trip_companion.publish.atom import ATOM_NS, AtomEntry, AtomImage, atom_feed, entry_html
from trip_companion.publish.feed import FeedPublisher, InMemoryFeedStore

NS = {"a": ATOM_NS}
WHEN = datetime(2026, 6, 12, 14, 30, tzinfo=UTC)


def test_publishing_the_same_key_twice_stores_one_entry():
    store = InMemoryFeedStore()
    feed = create_publisher("feed", feed_store=store)
    first = feed.publish(outgoing(key="trip-7"))
    again = feed.publish(outgoing(key="trip-7", text="edited on retry"))
    assert first == again and list(store.entries) == ["trip-7"]
    assert store.entries["trip-7"].text == "Year 5 built rafts at the lake today!"
    assert first.url == "/feed#post-trip-7"


def test_delete_removes_the_entry_and_tolerates_a_repeat():
    store = InMemoryFeedStore()
    feed = FeedPublisher(store, entry_url=lambda key: f"https://school.test/feed/{key}")
    published = feed.publish(outgoing(key="k1", count=4))
    assert published.url == "https://school.test/feed/k1"
    feed.delete(published)
    feed.delete(published)
    assert store.get("k1") is None


def test_images_may_be_plain_tuples():
    post = OutgoingPost(key="k", text="t", images=[(b"jpeg", "A raft", 4, 3)])
    assert post.images[0].alt == "A raft" and post.images[0].width == 4


def test_more_than_four_photos_is_refused():
    five = outgoing(count=4).images + outgoing(count=1).images
    with pytest.raises(PermanentFailure, match="at most 4 photos"):
        FeedPublisher(InMemoryFeedStore()).publish(OutgoingPost(key="k", text="t", images=five))


def entry(key: str, text: str, when: datetime = WHEN) -> AtomEntry:
    return AtomEntry(key=key, text=text, published=when, url=f"https://school.test/feed/{key}",
                     images=[AtomImage(f"https://school.test/media/{key}-1.jpg",
                                       'Pupils "paddling" & smiling <3', 1200, 800)])


def test_atom_feed_parses_back_with_entries_newest_first():
    document = atom_feed("St Mary's <C of E> & Co", "https://school.test/", [
        entry("old", "Sports day", WHEN - timedelta(days=1)),
        entry("new", "Raft building & <b>fun</b>\n\nSecond paragraph")])
    root = ET.fromstring(document.encode())
    assert root.tag == f"{{{ATOM_NS}}}feed"
    assert root.findtext("a:title", namespaces=NS) == "St Mary's <C of E> & Co"
    assert root.findtext("a:updated", namespaces=NS) == "2026-06-12T14:30:00Z"
    assert root.find("a:link[@rel='self']", NS).get("href") == "https://school.test/feed.atom"
    ids = [e.findtext("a:id", namespaces=NS) for e in root.findall("a:entry", NS)]
    assert ids == ["https://school.test/feed/new", "https://school.test/feed/old"]
    first = root.find("a:entry", NS)
    content = first.find("a:content", NS)
    assert content.get("type") == "html"
    assert "<p>Raft building &amp; &lt;b&gt;fun&lt;/b&gt;</p>" in content.text
    assert 'alt="Pupils &quot;paddling&quot; &amp; smiling &lt;3"' in content.text
    assert 'width="1200" height="800"' in content.text
    assert first.findtext("a:title", namespaces=NS) == "Raft building & <b>fun</b> Second paragraph"


def test_atom_feed_needs_aware_times():
    with pytest.raises(ValueError, match="time zone"):
        atom_feed("School", "https://school.test", [entry("k", "t", datetime(2026, 1, 1))])


@given(school=st.text(max_size=40), text=st.text(max_size=200), alt=st.text(max_size=60))
def test_any_text_gives_well_formed_xml_that_keeps_the_words(school: str, text: str, alt: str):
    item = AtomEntry("k", text, WHEN, "https://school.test/feed/k",
                     [AtomImage("https://school.test/m.jpg", alt, 10, 10)])
    root = ET.fromstring(atom_feed(school, "https://school.test", [item]).encode())
    content = root.find("a:entry/a:content", NS).text or ""
    assert content == entry_html(item).replace("\r", "\n")
    for word in text.split():
        if word.isalnum() and word.isascii():
            assert word in content


def test_text_is_held_to_the_limit_the_compose_check_applies():
    """The policy check allows the feed 5,000 characters; the feed takes what it allowed."""
    from trip_companion.policy import count
    from trip_companion.policy.length import LIMITS

    feed = FeedPublisher(InMemoryFeedStore())
    longest = "Raft " * (LIMITS["feed"] // 5)
    assert count(longest, "feed") == LIMITS["feed"] == 5000
    assert feed.publish(outgoing(key="long", text=longest)).remote_id == "long"
    with pytest.raises(PermanentFailure, match="too long for the school feed: 5001"):
        feed.publish(outgoing(key="longer", text=longest + "!"))
    described = outgoing(key="described")
    image = described.images[0]
    kept = OutgoingPost(key="described", text="Rafts",
                        images=[(image.data, "a" * 1500, image.width, image.height)])
    assert feed.publish(kept).remote_id == "described"  # compose keeps up to 1,500
