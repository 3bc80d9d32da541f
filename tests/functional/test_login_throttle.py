"""Login throttling: it holds when Redis is down, and strangers cannot lock the owner out."""

import logging

import pytest

from qkart.extensions import limiter
from tests.conftest import PASSWORD, login

WRONG = "wrong-pass-1"


@pytest.fixture
def dead_redis_app(make_app):
    """An app whose rate-limit storage is a Redis that does not answer."""
    yield make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    # The limiter is one object per process: give later tests a live, empty storage.
    make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    limiter._storage_dead = False
    limiter._fallback_storage.reset()


@pytest.fixture
def throttled(make_app):
    yield make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    limiter._fallback_storage.reset()


def _attempt(app, email, password, address):
    return app.test_client().post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_throttling_goes_on_in_memory_when_redis_is_down(dead_redis_app, factory, caplog):
    user = factory.user()
    client = dead_redis_app.test_client()
    with caplog.at_level(logging.WARNING):
        codes = [
            client.post("/login", data={"email": user.email, "password": WRONG}).status_code
            for _ in range(12)
        ]
    assert codes[:5] == [422] * 5 and codes[5:] == [429] * 7
    assert "falling back to in-memory storage" in caplog.text


def test_five_wrong_passwords_from_five_addresses_do_not_lock_the_owner_out(throttled, factory):
    user = factory.user()
    for n in range(5):
        for _ in range(3):
            assert _attempt(throttled, user.email, WRONG, f"10.0.1.{n}").status_code == 422
    assert _attempt(throttled, user.email, PASSWORD, "10.0.2.1").status_code == 303


def test_a_distributed_guess_is_stopped_but_the_owners_device_still_gets_in(throttled, factory):
    user = factory.user()
    owner = throttled.test_client()
    login(owner, user)
    owner.post("/logout")
    for n in range(20):
        assert _attempt(throttled, user.email, WRONG, f"10.0.3.{n}").status_code == 422
    assert _attempt(throttled, user.email, PASSWORD, "10.0.4.1").status_code == 429
    assert login(owner, user).status_code == 303


def test_one_address_cannot_try_many_accounts(throttled, factory):
    for n in range(20):
        assert _attempt(throttled, f"nobody{n}@example.com", WRONG, "10.0.5.1").status_code == 422
    assert _attempt(throttled, "nobody99@example.com", WRONG, "10.0.5.1").status_code == 429
