"""Abandoned carts: one reminder, a link that restores the cart anywhere, unsubscribing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from qkart.cart.models import Cart, CartReminder
from qkart.cart.reminders import send_reminders
from qkart.core.db import utcnow
from qkart.extensions import db
from tests.conftest import check_out, find_link, login


def _abandon(app, minutes: int = 120) -> None:
    with app.app_context():
        db.session.execute(update(Cart).values(updated_at=utcnow() - timedelta(minutes=minutes)))
        db.session.commit()


def _remind(app) -> int:
    with app.app_context():
        return send_reminders()


@pytest.fixture
def left_cart(app, factory):
    user = factory.user("rita@example.com", name="Rita Reminded")
    factory.cart_item(user, factory.product("Blue Kettle", price=3000, stock=4), 2)
    return user


def test_one_reminder_per_abandoned_cart(app, outbox, left_cart):
    _abandon(app, minutes=30)
    assert _remind(app) == 0  # not long enough yet
    _abandon(app)
    assert _remind(app) == 1
    assert _remind(app) == 0  # the same abandonment is reminded once
    [mail] = outbox.messages("rita@example.com")
    assert mail["Subject"] == "You left something in your cart"
    assert (
        mail["List-Unsubscribe"].startswith("<http://")
        and "/emails/unsubscribe/" in mail["List-Unsubscribe"]
    )
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Blue Kettle x 2: $60.00" in text


def test_the_link_restores_the_cart_on_another_device(app, outbox, left_cart):
    _abandon(app)
    _remind(app)
    elsewhere = app.test_client()
    response = elsewhere.get(find_link(outbox.messages("rita@example.com")[0], "/cart/restore/"))
    assert response.status_code == 303 and response.headers["Location"] == "/cart"
    page = elsewhere.get("/cart").get_data(as_text=True)
    assert "Blue Kettle" in page and 'id="cart-count" class="badge">2<' in page
    with app.app_context():
        assert db.session.scalar(select(CartReminder.restored_at)) is not None
    assert elsewhere.get("/cart/restore/forged-token").status_code == 404


def test_unsubscribing_stops_the_reminders(app, outbox, left_cart, factory):
    _abandon(app)
    _remind(app)
    link = find_link(outbox.messages("rita@example.com")[0], "/emails/unsubscribe/")
    visitor = app.test_client()
    page = visitor.get(link).get_data(as_text=True)
    assert "Stop the e-mails" in page  # it asks first: a link scanner unsubscribes nobody
    assert "Done" in visitor.post(link).get_data(as_text=True)
    factory.cart_item(left_cart, factory.product(stock=3), 1)  # the cart changes...
    _abandon(app)
    assert _remind(app) == 0  # ... and is left again: no reminder any more


def test_one_click_unsubscribe_works_without_the_page(make_app, outbox, left_cart):
    app = make_app(WTF_CSRF_ENABLED=True)
    _abandon(app)
    _remind(app)
    link = find_link(outbox.messages("rita@example.com")[0], "/emails/unsubscribe/")
    response = app.test_client().post(link, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert app.test_client().post(link, data={}).status_code == 400  # a plain post needs CSRF


def test_an_order_after_the_reminder_counts_as_a_recovery(app, outbox, left_cart, factory):
    factory.address(left_cart)
    _abandon(app)
    _remind(app)
    client = app.test_client()
    login(client, left_cart)
    with app.app_context():
        from decimal import Decimal

        from qkart.core.money import Money
        from qkart.payments.wallet import credit_wallet

        credit_wallet(
            left_cart.id,
            Money.from_major(Decimal("100"), "USD"),
            kind="adjustment",
            description="x",
        )
        db.session.commit()
    assert check_out(client, method="wallet", email=None).status_code == 303
    with app.app_context():
        reminder = db.session.scalar(select(CartReminder))
        assert reminder.recovered_at is not None and reminder.order_id is not None


def test_visitors_and_unverified_shoppers_get_no_reminder(app, factory, outbox):
    factory.cart_item(factory.user(verified=False), factory.product(stock=3), 1)
    visitor = app.test_client()
    visitor.post("/cart/items", data={"product_id": factory.product(stock=3).id})
    _abandon(app)
    assert _remind(app) == 0 and outbox.messages() == []
