"""Fixtures for the policy tests."""

import pytest

from tests.policy.helpers import REGISTER
from trip_companion.policy import Profile, compile_register
from trip_companion.policy.report import warm_up


@pytest.fixture(scope="session", autouse=True)
def _loaded() -> None:
    warm_up()


@pytest.fixture
def register():
    return compile_register(REGISTER)


@pytest.fixture
def profile() -> Profile:
    return Profile()
