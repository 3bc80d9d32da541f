"""Coupons: each rule as a table row with the shopper's reason, and uses counted exactly."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from qkart.core.db import utcnow
from qkart.core.money import Money
from qkart.coupons import services as coupons
from qkart.coupons.errors import CouponError
from qkart.coupons.models import Coupon, CouponRedemption
from qkart.orders.models import Order

NOW = utcnow()


def usd(amount: int) -> Money:
    return Money(amount, "USD")


def _coupon(db, **fields):
    values = {"code": "TEST", "kind": "percent", "percent": Decimal("10"), **fields}
    coupon = Coupon(**values)
    db.session.add(coupon)
    db.session.flush()
    return coupon


def _lines(*pairs):
    return [
        coupons.CouponLine(product_id=n, category_id=cat, line_total=usd(total))
        for n, (cat, total) in enumerate(pairs, start=1)
    ]


def _evaluate(lines, subtotal, user_id=None, email=None, code="test"):
    return coupons.evaluate(
        code, lines=lines, subtotal=usd(subtotal), user_id=user_id, email=email, now=NOW
    )


@pytest.mark.parametrize(
    ("fields", "discount"),
    [
        ({"kind": "percent", "percent": Decimal("10")}, 600),
        ({"kind": "percent", "percent": Decimal("12.5")}, 750),
        # 33.33 % of 60.00 = 19.998 -> 20.00 (rounded once, half up).
        ({"kind": "percent", "percent": Decimal("33.33")}, 2000),
        ({"kind": "fixed", "percent": None, "amount": 500}, 500),
        # A fixed amount never takes off more than the cart holds.
        ({"kind": "fixed", "percent": None, "amount": 9_000}, 6_000),
        ({"min_order": 6_000}, 600),
        ({"starts_at": NOW - timedelta(days=1), "ends_at": NOW + timedelta(days=1)}, 600),
        ({"usage_limit": 1, "times_used": 0}, 600),
    ],
)
def test_what_a_code_takes_off(db, fields, discount):
    _coupon(db, **fields)
    applied = _evaluate(_lines((1, 6000)), 6000)
    assert applied.discount == usd(discount) and applied.code == "TEST"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"is_active": False}, "This code is not available right now."),
        ({"ends_at": NOW - timedelta(seconds=1)}, "This code has expired."),
        ({"starts_at": NOW + timedelta(days=2)}, "This code can be used from"),
        ({"usage_limit": 3, "times_used": 3}, "This code has been used up."),
        ({"min_order": 5_000}, "This code needs a minimum order of $50.00."),
    ],
)
def test_each_refusal_says_why(db, fields, reason):
    _coupon(db, **fields)
    with pytest.raises(CouponError) as error:
        _evaluate(_lines((1, 4000)), 4000)
    assert str(error.value).startswith(reason)


def test_unknown_codes_are_named(db):
    with pytest.raises(CouponError, match="We do not know the code NOPE10"):
        _evaluate(_lines((1, 4000)), 4000, code=" nope10 ")


def test_codes_limited_to_categories(db, factory):
    books = factory.category("Books")
    toys = factory.category("Toys")
    coupon = _coupon(db, percent=Decimal("20"))
    coupon.categories = [db.session.get(type(books), books.id)]
    db.session.flush()
    applied = _evaluate(_lines((books.id, 1000), (toys.id, 5000)), 6000)
    assert applied.discount == usd(200) and applied.product_ids == frozenset({1})
    with pytest.raises(CouponError, match="This code is for Books only"):
        _evaluate(_lines((toys.id, 5000)), 5000)


def _order_for(db, factory, user, status="paid"):
    order = Order(
        number=f"QK-TEST-{status[:4].upper()}",
        user_id=user.id,
        status=status,
        currency="USD",
        subtotal=1000,
        shipping=0,
        total=1000,
        payment_method="wallet",
        shipping_address={},
        contact_email=user.email,
        idempotency_key=f"key-{status}",
    )
    db.session.add(order)
    db.session.flush()
    return order


def test_once_per_customer_by_account_or_by_address(db, factory):
    user = factory.user("once@example.com")
    coupon = _coupon(db, per_customer_limit=1)
    order = _order_for(db, factory, user)
    applied = _evaluate(_lines((1, 1000)), 1000, user_id=user.id)
    coupons.redeem(applied, order_id=order.id, user_id=user.id, email=user.email)
    with pytest.raises(CouponError, match=r"You have already used this code."):
        _evaluate(_lines((1, 1000)), 1000, user_id=user.id)
    with pytest.raises(CouponError, match=r"You have already used this code."):
        _evaluate(_lines((1, 1000)), 1000, email="ONCE@example.com")  # the same person as a guest
    assert db.session.get(Coupon, coupon.id).times_used == 1


def test_first_order_only(db, factory):
    user = factory.user()
    _coupon(db, first_order_only=True, per_customer_limit=None)
    assert _evaluate(_lines((1, 1000)), 1000, user_id=user.id).discount == usd(100)
    _order_for(db, factory, user, status="cancelled")  # a cancelled order does not count
    assert _evaluate(_lines((1, 1000)), 1000, user_id=user.id).discount == usd(100)
    _order_for(db, factory, user, status="delivered")
    with pytest.raises(CouponError, match=r"This code is for a first order only."):
        _evaluate(_lines((1, 1000)), 1000, user_id=user.id)


def test_the_total_limit_holds_and_a_cancelled_order_gives_its_use_back(db, factory):
    user = factory.user()
    coupon = _coupon(db, usage_limit=1, per_customer_limit=None)
    first = _order_for(db, factory, user)
    second = _order_for(db, factory, user, status="placed")
    applied = _evaluate(_lines((1, 1000)), 1000)
    coupons.redeem(applied, order_id=first.id, user_id=None, email="a@example.com")
    with pytest.raises(CouponError, match="just been used up"):
        coupons.redeem(applied, order_id=second.id, user_id=None, email="b@example.com")
    coupons.release(first.id)
    assert db.session.get(Coupon, coupon.id).times_used == 0
    assert db.session.scalar(select(func.count()).select_from(CouponRedemption)) == 0
    coupons.redeem(applied, order_id=second.id, user_id=None, email="b@example.com")
    assert db.session.get(Coupon, coupon.id).times_used == 1
