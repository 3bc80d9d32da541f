"""Card payments against the local Stripe stand-in, through the official SDK.

The stand-in (``tests/support/stripe_stub.py``) serves the few Stripe endpoints QKart
calls and records every request; the app under test points the SDK at it with
``STRIPE_API_BASE``. Webhooks are signed here with the test secret and posted to the
app like Stripe would. Without Redis, the job that processes an event runs inline
right after the webhook's commit, as in development.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.stripe_stub import StripeStub, sign

WEBHOOK_SECRET = "whsec_qkart_tests"
SECRET_KEY = "sk_test_qkart"


@pytest.fixture(scope="session")
def stripe_server() -> Iterator[StripeStub]:
    with StripeStub() as stub:
        yield stub


@pytest.fixture
def stub(stripe_server: StripeStub) -> Iterator[StripeStub]:
    stripe_server.reset()
    yield stripe_server
    stripe_server.reset()


@pytest.fixture
def card_app(make_app: Any, stub: StripeStub) -> Flask:
    """The shop with card payments on, talking to the stand-in."""
    return make_app(
        STRIPE_SECRET_KEY=SECRET_KEY,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=stub.url,
    )


@pytest.fixture
def card_client(card_app: Flask) -> FlaskClient:
    return card_app.test_client()


def post_event(
    client: FlaskClient, event: dict[str, Any], *, secret: str = WEBHOOK_SECRET, **sign_args: Any
) -> Any:
    """Deliver ``event`` to the app's webhook endpoint, signed as Stripe does."""
    body = json.dumps(event).encode()
    return client.post(
        "/webhooks/stripe",
        data=body,
        headers={"Stripe-Signature": sign(body, secret, **sign_args)},
        content_type="application/json",
    )
