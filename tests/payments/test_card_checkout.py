"""Paying by card: Stripe Checkout through the stand-in, webhooks, expiry, reconciliation."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select, update

from qkart.catalog.models import Product
from qkart.core.db import utcnow
from qkart.extensions import db
from qkart.jobs.maintenance import run_chores
from qkart.orders.models import Order
from qkart.payments.models import Payment, PaymentEvent, StripeEvent
from tests.conftest import check_out, htmx, login, wallet_of
from tests.payments.conftest import post_event


def _order(app) -> Order:
    with app.app_context():
        order = db.session.scalar(select(Order))
        db.session.expunge_all()
        return order


def _payments(app, method: str | None = None) -> list[Payment]:
    with app.app_context():
        stmt = select(Payment).order_by(Payment.id)
        if method:
            stmt = stmt.where(Payment.method == method)
        rows = db.session.scalars(stmt).all()
        db.session.expunge_all()
        return list(rows)


def _stock(app, product) -> int:
    with app.app_context():
        return db.session.get(Product, product.id).stock


def _session_id(response) -> str:
    location = response.headers["Location"]
    assert "/pay/cs_test_" in location, location
    return location.rsplit("/", 1)[1]


@pytest.fixture
def lamp(factory):
    return factory.product("Bonsai Lamp", price=6000, stock=4)


@pytest.fixture
def guest(card_client, lamp):
    card_client.post("/cart/items", data={"product_id": lamp.id, "quantity": 1})
    return card_client


def test_guest_pays_by_card_and_the_webhook_marks_the_order_paid(
    card_app, guest, stub, lamp, outbox
):
    response = check_out(guest, method="card")
    assert response.status_code == 303
    session_id = _session_id(response)
    order = _order(card_app)
    assert order.status == "awaiting_payment" and order.user_id is None
    assert order.total == 6500
    assert _stock(card_app, lamp) == 3  # held for the shopper while they pay
    [card] = _payments(card_app)
    assert card.status == "requires_action" and card.reference == session_id
    [create] = stub.calls("POST", "/v1/checkout/sessions")
    assert create.idempotency_key == f"{card.idempotency_key}-checkout"
    item = (
        create.params["line_items"]["0"]
        if isinstance(create.params["line_items"], dict)
        else (create.params["line_items"][0])
    )
    assert item["price_data"]["unit_amount"] == "6500"  # the order's total, not recomputed
    assert create.params["metadata"]["payment_id"] == str(card.id)
    assert outbox.messages() == []  # nothing to confirm until the money is in

    # Back from Stripe's page before the webhook: "payment pending", refreshing itself.
    back = parse_qs(urlsplit(create.params["success_url"]).query)
    page_url = f"/orders/{order.number}?access={back['access'][0]}&paid=1"
    page = guest.get(page_url)
    assert page.headers["Cache-Control"] == "no-store"
    text = page.get_data(as_text=True)
    assert "Payment pending." in text and 'data-hx-trigger="every 3s"' in text
    assert "Reload this page" in text
    poll = guest.get(page_url, headers=htmx("payment-status"))
    assert "<html" not in poll.get_data(as_text=True) and "Payment pending." in poll.get_data(
        as_text=True
    )

    assert post_event(guest, stub.complete(session_id)).status_code == 200
    order = _order(card_app)
    assert order.status == "paid"
    [card] = _payments(card_app)
    assert card.status == "succeeded" and card.provider_payment_id.startswith("pi_test_")
    assert guest.get(page_url, headers=htmx("payment-status")).headers["HX-Refresh"] == "true"
    text = guest.get(page_url).get_data(as_text=True)
    assert 'class="status status-paid">Paid<' in text and "Paid by card" in text
    [mail] = outbox.messages("guest@example.com")
    assert order.number in mail["Subject"]
    body = mail.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://[^/]+(/orders/\S+)", body).group(1)
    assert "access=" in link
    assert card_app.test_client().get(link).status_code == 200  # the link works anywhere


def test_a_declined_card_is_explained_and_can_be_retried(card_app, guest, stub):
    session_id = _session_id(check_out(guest, method="card"))
    order = _order(card_app)
    assert post_event(guest, stub.decline(session_id)).status_code == 200
    text = guest.get(f"/orders/{order.number}").get_data(as_text=True)
    assert "Your card was declined. You can try again with another card." in text
    assert _order(card_app).status == "awaiting_payment"
    response = guest.post(f"/orders/{order.number}/pay")
    assert response.headers["Location"].endswith(session_id)  # the same page, still open


def test_an_expired_payment_page_cancels_the_order_and_releases_the_stock(
    card_app, guest, stub, lamp
):
    session_id = _session_id(check_out(guest, method="card"))
    assert _stock(card_app, lamp) == 3
    assert post_event(guest, stub.expire_session(session_id)).status_code == 200
    order = _order(card_app)
    assert order.status == "cancelled"
    assert _stock(card_app, lamp) == 4
    assert [p.status for p in _payments(card_app)] == ["cancelled"]


def test_the_same_event_ten_times_counts_once(card_app, guest, stub):
    session_id = _session_id(check_out(guest, method="card"))
    event = stub.complete(session_id)
    answers = [post_event(guest, event) for _ in range(10)]
    assert all(a.status_code == 200 for a in answers)
    assert [a.get_json()["outcome"] for a in answers].count("queued") == 1
    with card_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 1
        succeeded = select(func.count()).where(PaymentEvent.to_status == "succeeded")
        assert db.session.scalar(succeeded) == 1
    assert _order(card_app).status == "paid"


def test_events_out_of_order_leave_the_order_paid(card_app, guest, stub):
    session_id = _session_id(check_out(guest, method="card"))
    completed = stub.complete(session_id)
    late_expiry = stub.event(
        "checkout.session.expired",
        {**completed["data"]["object"], "status": "expired", "payment_status": "unpaid"},
    )
    late_decline = stub.event(
        "payment_intent.payment_failed",
        {
            "id": "pi_old",
            "object": "payment_intent",
            "metadata": completed["data"]["object"]["metadata"],
            "last_payment_error": {"type": "card_error", "message": "Your card was declined."},
        },
    )
    assert post_event(guest, completed).status_code == 200
    assert post_event(guest, late_expiry).status_code == 200
    assert post_event(guest, late_decline).status_code == 200
    assert _order(card_app).status == "paid"
    [card] = _payments(card_app)
    assert card.status == "succeeded" and card.shopper_message == ""


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({}, b'{"id": "evt_1"}'),  # no signature at all
        ({"Stripe-Signature": "t=1,v1=deadbeef"}, b'{"id": "evt_1"}'),
        ({"Stripe-Signature": "garbage"}, b"{}"),
    ],
)
def test_unsigned_or_badly_signed_webhooks_are_400(card_client, headers, body):
    response = card_client.post(
        "/webhooks/stripe", data=body, headers=headers, content_type="application/json"
    )
    assert response.status_code == 400


def test_wrong_secret_stale_timestamp_and_non_json_are_refused(card_client, stub):
    event = stub.event("checkout.session.completed", {"id": "cs_x", "object": "checkout.session"})
    assert post_event(card_client, event, secret="whsec_wrong").status_code == 400
    stale = int(utcnow().timestamp()) - 600
    assert post_event(card_client, event, timestamp=stale).status_code == 400
    from tests.payments.conftest import WEBHOOK_SECRET
    from tests.support.stripe_stub import sign

    body = b"this is not json"
    response = card_client.post(
        "/webhooks/stripe",
        data=body,
        headers={"Stripe-Signature": sign(body, WEBHOOK_SECRET)},
        content_type="application/json",
    )
    assert response.status_code == 400


def test_unknown_event_types_and_unknown_payments_get_a_logged_200(card_app, card_client, stub):
    other = stub.event("customer.created", {"id": "cus_1", "object": "customer"})
    response = post_event(card_client, other)
    assert response.status_code == 200 and response.get_json()["outcome"] == "ignored"
    stray = stub.event(
        "checkout.session.completed",
        {"id": "cs_nobody", "object": "checkout.session", "metadata": {"payment_id": "999"}},
    )
    assert post_event(card_client, stray).status_code == 200
    with card_app.app_context():
        assert db.session.get(StripeEvent, stray["id"]).outcome == "no such payment"


def test_webhooks_are_404_when_card_payments_are_off(client):
    response = client.post("/webhooks/stripe", data=b"{}", content_type="application/json")
    assert response.status_code == 404


def test_a_double_click_on_pay_makes_one_order_and_one_payment_page(card_app, guest, stub):
    from tests.conftest import review_form

    guest.post("/checkout/contact", data={"email": "guest@example.com"})
    from tests.conftest import US_ADDRESS

    guest.post("/checkout/address", data=US_ADDRESS)
    guest.post("/checkout/payment", data={"payment_method": "card"})
    review = review_form(guest.get("/checkout").get_data(as_text=True))
    first = guest.post("/checkout", data=review)
    second = guest.post("/checkout", data=review)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    with card_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    assert len(_payments(card_app)) == 1
    assert len(stub.all("checkout.session")) == 1


def test_closing_the_tab_cancels_the_order_when_its_time_is_up(card_app, guest, stub, lamp):
    session_id = _session_id(check_out(guest, method="card"))
    with card_app.app_context():
        db.session.execute(update(Order).values(payment_due_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
        run_chores()
    assert _order(card_app).status == "cancelled"
    assert _stock(card_app, lamp) == 4
    assert stub.get(session_id)["status"] == "expired"  # nobody can pay on it any more
    assert stub.calls("POST", f"/v1/checkout/sessions/{session_id}/expire")


def test_paid_just_before_the_deadline_is_paid_not_cancelled(card_app, guest, stub, lamp):
    session_id = _session_id(check_out(guest, method="card"))
    stub.complete(session_id)  # the webhook is still on its way
    with card_app.app_context():
        db.session.execute(update(Order).values(payment_due_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
        run_chores()
    assert _order(card_app).status == "paid"
    assert _stock(card_app, lamp) == 3


def test_reconciliation_finds_a_payment_whose_webhook_was_lost(card_app, guest, stub):
    session_id = _session_id(check_out(guest, method="card"))
    stub.complete(session_id)
    with card_app.app_context():
        run_chores()
        assert _order(card_app).status == "awaiting_payment"  # too recent to ask about
        db.session.execute(update(Payment).values(created_at=utcnow() - timedelta(minutes=11)))
        db.session.commit()
        run_chores()
    assert _order(card_app).status == "paid"


def test_a_stripe_hiccup_is_retried_with_the_same_key(card_app, guest, stub):
    stub.fail_next("POST", "/v1/checkout/sessions", status=500)
    response = check_out(guest, method="card")
    assert "/pay/cs_test_" in response.headers["Location"]
    keys = {call.idempotency_key for call in stub.calls("POST", "/v1/checkout/sessions")}
    assert len(stub.calls("POST", "/v1/checkout/sessions")) == 2 and len(keys) == 1


def test_stripe_down_at_pay_time_keeps_the_order_and_shows_no_internals(card_app, guest, stub):
    # The SDK retries twice with the same idempotency key; all three tries fail.
    stub.fail_next(
        "POST", "/v1/checkout/sessions", status=500, message="db shard 7 exploded", times=3
    )
    response = check_out(guest, method="card")
    assert response.status_code == 303
    order = _order(card_app)
    assert response.headers["Location"].startswith(f"/orders/{order.number}")
    page = guest.get(response.headers["Location"]).get_data(as_text=True)
    assert "We could not reach our payment provider. Nothing was charged." in page
    assert "shard" not in page and "req_" not in page and "Traceback" not in page
    assert [p.status for p in _payments(card_app)] == ["failed"]
    retry = guest.post(f"/orders/{order.number}/pay")
    assert "/pay/cs_test_" in retry.headers["Location"]
    assert [p.status for p in _payments(card_app)] == ["failed", "requires_action"]


def test_wallet_pays_part_and_the_card_the_rest(card_app, card_client, factory, stub, lamp):
    user = factory.user(wallet=2_000)
    factory.address(user)
    factory.cart_item(user, lamp, 1)
    login(card_client, user)
    response = check_out(card_client, method="card", email=None, use_wallet=True)
    session_id = _session_id(response)
    assert stub.get(session_id)["amount_total"] == 4_500
    assert wallet_of(card_app, user.id) == 0
    wallet, card = _payments(card_app)
    assert (wallet.method, wallet.amount, wallet.status) == ("wallet", 2_000, "succeeded")
    assert (card.method, card.amount) == ("card", 4_500)
    assert _order(card_app).status == "awaiting_payment"
    post_event(card_client, stub.complete(session_id))
    assert _order(card_app).status == "paid"


def test_an_unpaid_split_order_gives_the_wallet_part_back(card_app, card_client, factory, stub):
    user = factory.user(wallet=2_000)
    factory.address(user)
    factory.cart_item(user, factory.product(price=6000, stock=3), 1)
    login(card_client, user)
    session_id = _session_id(check_out(card_client, method="card", email=None, use_wallet=True))
    post_event(card_client, stub.expire_session(session_id))
    assert _order(card_app).status == "cancelled"
    assert wallet_of(card_app, user.id) == 2_000
    wallet, card = _payments(card_app)
    assert wallet.status == "refunded" and card.status == "cancelled"


def test_wallet_top_up_by_card(card_app, card_client, factory, stub):
    user = factory.user(wallet=100)
    login(card_client, user)
    page = card_client.get("/account/wallet").get_data(as_text=True)
    assert "Top up by card" in page
    bad = card_client.post("/account/wallet/top-up", data={"amount": "0.10"})
    assert bad.status_code == 422 and "Top up between $5.00 and $1,000.00" in bad.get_data(
        as_text=True
    )
    response = card_client.post("/account/wallet/top-up", data={"amount": "25"})
    session_id = _session_id(response)
    assert stub.get(session_id)["amount_total"] == 2_500
    pending = card_client.get("/account/wallet").get_data(as_text=True)
    assert "waiting for the payment" in pending and 'data-hx-trigger="every 3s"' in pending
    post_event(card_client, stub.complete(session_id))
    assert wallet_of(card_app, user.id) == 2_600
    poll = card_client.get("/account/wallet", headers=htmx("topup-status"))
    assert poll.headers["HX-Refresh"] == "true"
    assert "Top-up by card" in card_client.get("/account/wallet").get_data(as_text=True)


def test_top_ups_are_hidden_without_stripe(client, logged_in):
    logged_in()
    assert "Top up by card" not in client.get("/account/wallet").get_data(as_text=True)
    response = client.post("/account/wallet/top-up", data={"amount": "25"})
    assert response.status_code == 303
