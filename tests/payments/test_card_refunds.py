"""Money back on card orders: cancelling a paid card order, staff refunds, Stripe refusing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qkart.extensions import db
from qkart.orders.models import Order
from qkart.payments.models import Payment, Refund
from tests.conftest import check_out, login
from tests.payments.conftest import post_event


@pytest.fixture
def paid_by_card(card_app, card_client, stub, factory):
    """A guest's card order of 65.00 (60.00 + 5.00 shipping), paid through the stand-in."""
    card_client.post(
        "/cart/items", data={"product_id": factory.product("Kettle", price=6000, stock=3).id}
    )
    response = check_out(card_client, method="card")
    session_id = response.headers["Location"].rsplit("/", 1)[1]
    post_event(card_client, stub.complete(session_id))
    with card_app.app_context():
        order = db.session.scalar(select(Order))
        assert order.status == "paid"
        return order.number


def _state(app):
    with app.app_context():
        order = db.session.scalar(select(Order))
        payment = db.session.scalar(select(Payment))
        refunds = db.session.scalars(select(Refund)).all()
        return order.status, payment.status, payment.refunded_amount, [r.amount for r in refunds]


def test_cancelling_a_paid_card_order_refunds_it_at_stripe(
    card_app, card_client, stub, paid_by_card
):
    response = card_client.post(f"/orders/{paid_by_card}/cancel")
    assert response.status_code == 303
    assert _state(card_app) == ("cancelled", "refunded", 6_500, [6_500])
    [call] = stub.calls("POST", "/v1/refunds")
    assert call.params["amount"] == "6500" and call.params["payment_intent"].startswith("pi_test_")
    assert call.idempotency_key
    assert stub.refunded(call.params["payment_intent"]) == 6_500


def _staff(card_app, factory):
    staff = card_app.test_client()
    login(staff, factory.user(role="admin"))
    return staff


def _deliver(staff, number):
    staff.post(f"/admin/orders/{number}/status", data={"status": "processing"})
    staff.post(f"/admin/orders/{number}/ship", data={"carrier": "fedex", "tracking_number": "7777"})
    staff.post(f"/admin/orders/{number}/status", data={"status": "delivered"})


def test_staff_refund_part_of_a_card_order(card_app, stub, factory, paid_by_card):
    staff = _staff(card_app, factory)
    _deliver(staff, paid_by_card)
    response = staff.post(
        f"/admin/orders/{paid_by_card}/refund", data={"amount": "15.00", "reason": "Dented"}
    )
    assert response.status_code == 303
    assert _state(card_app) == ("partly_refunded", "partly_refunded", 1_500, [1_500])
    assert stub.calls("POST", "/v1/refunds")[0].params["amount"] == "1500"


def test_a_refund_stripe_refuses_changes_nothing_and_staff_see_why(
    card_app, stub, factory, paid_by_card
):
    staff = _staff(card_app, factory)
    _deliver(staff, paid_by_card)
    stub.fail_refunds(message="Insufficient balance to refund.", code="balance_insufficient")
    response = staff.post(
        f"/admin/orders/{paid_by_card}/refund", data={"amount": "15.00", "reason": "Dented"}
    )
    assert response.status_code == 502
    assert "Insufficient balance to refund." in response.get_data(as_text=True)
    assert _state(card_app) == ("delivered", "succeeded", 0, [])
