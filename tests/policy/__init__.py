"""Tests for the rules-as-code package, trip_companion.policy."""
