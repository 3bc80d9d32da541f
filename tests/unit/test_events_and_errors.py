"""Domain events wire the domains together; unsafe errors never reach the visitor."""

from __future__ import annotations

import logging

import pytest

from qkart.core import events
from qkart.core.errors import DomainError, GatewayError
from qkart.core.web import public_message


def test_unknown_events_are_programming_errors():
    with pytest.raises(ValueError, match="unknown event"):
        events.subscribe("order.teleported")
    with pytest.raises(ValueError, match="unknown event"):
        events.emit("order.teleported")


def test_the_wiring_is_in_place(app):
    names = {
        name: {f"{h.__module__}.{h.__name__}" for h in events.subscribers(name)}
        for name in events.EVENTS
    }
    assert "qkart.orders.subscribers.order_paid" in names["payment.succeeded"]
    assert "qkart.orders.subscribers.order_payment_ended" in names["payment.cancelled"]
    assert "qkart.payments.subscribers.welcome_credit" in names["account.email_verified"]
    assert "qkart.orders.subscribers.claim_orders" in names["account.email_verified"]
    assert "qkart.coupons.subscribers.give_back_use" in names["order.cancelled"]


def test_emit_calls_each_subscriber_with_the_payload(monkeypatch):
    seen = []
    monkeypatch.setitem(events._handlers, "order.placed", [lambda **kw: seen.append(kw)])
    events.emit("order.placed", order_id=7)
    assert seen == [{"order_id": 7}]


def test_safe_errors_are_shown_as_they_are(app):
    with app.test_request_context():
        assert public_message(DomainError("Choose a size.")) == "Choose a size."


def test_unsafe_errors_are_logged_with_the_request_id_and_apologised_for(app, caplog):
    with app.test_request_context(headers={"X-Request-ID": "abc123"}):
        app.preprocess_request()
        with caplog.at_level(logging.ERROR, logger="qkart"):
            text = public_message(GatewayError("stripe said card 4242 failed (request req_9)"))
    assert "4242" not in text and "req_9" not in text
    assert text.startswith("We could not reach our payment provider.")
    assert "(Reference: abc123.)" in text
    assert any("req_9" in record.getMessage() for record in caplog.records)
