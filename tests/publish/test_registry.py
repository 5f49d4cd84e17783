"""The registry: one adapter per network, all speaking the same interface."""

from __future__ import annotations

import pytest

from trip_companion.publish import PUBLISHERS, Limits, create_publisher
from trip_companion.publish.credentials import FileCredentialStore
from trip_companion.publish.feed import InMemoryFeedStore


def test_every_network_has_an_adapter():
    assert set(PUBLISHERS) == {"feed", "bluesky", "mastodon", "x", "facebook"}


@pytest.mark.parametrize("network", ["bluesky", "mastodon", "x", "facebook"])
def test_network_adapters_build_from_a_credential_store(network: str,
                                                        store: FileCredentialStore):
    with create_publisher(network, credentials=store, base_url="http://127.0.0.1:9",
                          timeout=1) as publisher:
        assert publisher.network == network
        assert isinstance(publisher.limits(), Limits)
        assert isinstance(publisher.can_disable_replies, bool) and publisher.replies_note


def test_unconnected_network_reports_broken_not_a_crash(store: FileCredentialStore):
    for network in ("bluesky", "mastodon", "x", "facebook"):
        with create_publisher(network, credentials=store, base_url="http://127.0.0.1:9",
                              timeout=1) as publisher:
            health = publisher.health()
            assert health.state == "broken" and "reconnect" in health.message


def test_feed_needs_a_feed_store_and_unknown_networks_are_refused():
    assert create_publisher("feed", feed_store=InMemoryFeedStore()).health().state == "ok"
    with pytest.raises(ValueError, match="feed_store"):
        create_publisher("feed")
    with pytest.raises(KeyError):
        create_publisher("myspace", feed_store=InMemoryFeedStore())


def test_health_reads_an_outage_as_unreachable_and_a_refusal_as_broken():
    from trip_companion.publish import ConnectionBroken, Health, RetryLater
    from trip_companion.publish.http import reports_health

    class Network:
        def __init__(self, error: Exception | None) -> None:
            self.error = error

        @reports_health
        def health(self) -> Health:
            """Ask the network."""
            if self.error:
                raise self.error
            return Health("ok", "Connected.")

    assert Network(None).health() == Health("ok", "Connected.")
    assert Network(RetryLater(30, "Could not reach X.")).health() == Health(
        "unreachable", "Could not reach X.")
    assert Network(ConnectionBroken("Reconnect X.")).health() == Health("broken", "Reconnect X.")
    assert Network.health.__doc__ == "Ask the network."
    with pytest.raises(ValueError):  # a bug is not a network's answer
        Network(ValueError("bug")).health()
