"""Checking a coupon against a cart and a shopper, and counting its uses.

``evaluate`` says what a code takes off this cart, or raises ``CouponError``
with the reason in the shopper's words ("This code has expired."). The cart
calls it to show the discount; checkout calls it again when the order is placed
and then ``redeem``s it, whose conditional UPDATE keeps the total limit exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.orm import selectinload

from qkart.core.db import rows_changed
from qkart.core.filters import date_text
from qkart.core.filters import money as money_text
from qkart.core.money import Money
from qkart.coupons.errors import CouponError
from qkart.coupons.models import Coupon, CouponRedemption
from qkart.extensions import db
from qkart.orders.models import SOLD_STATUSES, Order

MAX_CODE_LENGTH = 40


@dataclass(frozen=True)
class CouponLine:
    """What a coupon needs to know of one cart line."""

    product_id: int
    category_id: int
    line_total: Money


@dataclass(frozen=True)
class AppliedCoupon:
    coupon_id: int
    code: str
    description: str
    discount: Money
    # The lines the discount is spread over (all of them unless limited to categories).
    product_ids: frozenset[int]


def normalise_code(code: str) -> str:
    return "".join(code.split()).upper()[:MAX_CODE_LENGTH]


def find_coupon(code: str) -> Coupon | None:
    return db.session.scalar(
        select(Coupon)
        .where(Coupon.code == normalise_code(code))
        .options(selectinload(Coupon.categories))
    )


def _uses_by(coupon_id: int, user_id: int | None, email: str | None) -> int:
    who = []
    if user_id is not None:
        who.append(CouponRedemption.user_id == user_id)
    if email:
        who.append(func.lower(CouponRedemption.email) == email.lower())
    if not who:
        return 0
    return (
        db.session.scalar(
            select(func.count())
            .select_from(CouponRedemption)
            .where(CouponRedemption.coupon_id == coupon_id, or_(*who))
        )
        or 0
    )


def _has_ordered(user_id: int | None, email: str | None) -> bool:
    who = []
    if user_id is not None:
        who.append(Order.user_id == user_id)
    if email:
        who.append(func.lower(Order.contact_email) == email.lower())
    if not who:
        return False
    return (
        db.session.scalar(select(Order.id).where(or_(*who), Order.status != "cancelled").limit(1))
        is not None
    )


def _check_dates_and_limits(coupon: Coupon, now: datetime) -> None:
    if not coupon.is_active:
        raise CouponError("This code is not available right now.")
    if coupon.starts_at is not None and now < coupon.starts_at:
        raise CouponError(f"This code can be used from {date_text(coupon.starts_at)}.")
    if coupon.ends_at is not None and now >= coupon.ends_at:
        raise CouponError("This code has expired.")
    if coupon.usage_limit is not None and coupon.times_used >= coupon.usage_limit:
        raise CouponError("This code has been used up.")


def _check_customer(coupon: Coupon, user_id: int | None, email: str | None) -> None:
    limit = coupon.per_customer_limit
    if limit is not None and _uses_by(coupon.id, user_id, email) >= limit:
        raise CouponError("You have already used this code.")
    if coupon.first_order_only and _has_ordered(user_id, email):
        raise CouponError("This code is for a first order only.")


def evaluate(
    code: str,
    *,
    lines: Sequence[CouponLine],
    subtotal: Money,
    user_id: int | None,
    email: str | None,
    now: datetime,
) -> AppliedCoupon:
    """What ``code`` takes off this cart; ``CouponError`` says why it cannot be used."""
    coupon = find_coupon(code)
    if coupon is None:
        raise CouponError(f"We do not know the code {normalise_code(code)}. Check the spelling.")
    _check_dates_and_limits(coupon, now)
    minimum = Money(coupon.min_order, subtotal.currency)
    if subtotal < minimum:
        raise CouponError(f"This code needs a minimum order of {money_text(minimum)}.")
    _check_customer(coupon, user_id, email)
    category_ids = {c.id for c in coupon.categories}
    eligible = [line for line in lines if not category_ids or line.category_id in category_ids]
    if not eligible:
        names = ", ".join(sorted(c.name for c in coupon.categories))
        raise CouponError(f"This code is for {names} only, and nothing in your cart is.")
    base = sum((line.line_total for line in eligible), Money.zero(subtotal.currency))
    if coupon.kind == "percent":
        discount = base.percent(coupon.percent or 0)
    else:
        discount = min(Money(coupon.amount or 0, subtotal.currency), base)
    return AppliedCoupon(
        coupon_id=coupon.id,
        code=coupon.code,
        description=coupon.description,
        discount=discount,
        product_ids=frozenset(line.product_id for line in eligible),
    )


def redeem(applied: AppliedCoupon, *, order_id: int, user_id: int | None, email: str) -> None:
    """Count one use of the coupon for this order, only while uses are left."""
    used = db.session.execute(
        update(Coupon)
        .where(
            Coupon.id == applied.coupon_id,
            Coupon.is_active.is_(True),
            or_(Coupon.usage_limit.is_(None), Coupon.times_used < Coupon.usage_limit),
        )
        .values(times_used=Coupon.times_used + 1)
        .execution_options(synchronize_session="fetch")
    )
    if rows_changed(used) != 1:
        raise CouponError("This code has just been used up. Remove it to place your order.")
    db.session.add(
        CouponRedemption(
            coupon_id=applied.coupon_id,
            order_id=order_id,
            user_id=user_id,
            email=email,
            discount=applied.discount.amount,
        )
    )
    db.session.flush()


def release(order_id: int) -> None:
    """A cancelled order gives its use of the coupon back."""
    redemption = db.session.scalar(
        select(CouponRedemption).where(CouponRedemption.order_id == order_id)
    )
    if redemption is None:
        return
    db.session.execute(
        update(Coupon)
        .where(Coupon.id == redemption.coupon_id, Coupon.times_used > 0)
        .values(times_used=Coupon.times_used - 1)
        .execution_options(synchronize_session="fetch")
    )
    db.session.execute(delete(CouponRedemption).where(CouponRedemption.id == redemption.id))


# -- what staff change (the admin's promo codes page) -----------------------------------

COUPON_FIELDS = (
    "description",
    "kind",
    "percent",
    "amount",
    "min_order",
    "starts_at",
    "ends_at",
    "usage_limit",
    "per_customer_limit",
    "first_order_only",
    "is_active",
)


def all_coupons() -> Sequence[Coupon]:
    return db.session.scalars(
        select(Coupon).options(selectinload(Coupon.categories)).order_by(Coupon.code)
    ).all()


def get_coupon(coupon_id: int) -> Coupon:
    coupon = db.session.get(Coupon, coupon_id)
    if coupon is None:
        from qkart.core.errors import NotFoundError

        raise NotFoundError("We could not find that promo code.")
    return coupon


def save_coupon(
    coupon: Coupon | None, code: str, fields: dict[str, object], categories: Sequence[object]
) -> Coupon:
    """Create or change a promo code; codes are unique whatever their case."""
    code = normalise_code(code)
    clash = db.session.scalar(select(Coupon.id).where(Coupon.code == code))
    if clash is not None and (coupon is None or clash != coupon.id):
        raise CouponError("Another promo code is already called that.")
    starts, ends = fields.get("starts_at"), fields.get("ends_at")
    if starts is not None and ends is not None and ends <= starts:  # type: ignore[operator]
        raise CouponError("The end must come after the start.", field="ends_at")
    if coupon is None:
        coupon = Coupon(times_used=0)
        db.session.add(coupon)
    coupon.code = code
    for name in COUPON_FIELDS:
        setattr(coupon, name, fields[name])
    coupon.categories = list(categories)  # type: ignore[arg-type]
    db.session.flush()
    return coupon


def revenue_by_coupon() -> dict[int, tuple[int, int, int]]:
    """``{coupon_id: (orders, discount given, revenue)}`` over orders that were not
    cancelled; revenue is the paid totals of those orders (cash on delivery counts
    once delivered)."""
    sold = Order.status.in_(SOLD_STATUSES)
    rows = db.session.execute(
        select(
            CouponRedemption.coupon_id,
            func.count(CouponRedemption.id),
            func.coalesce(func.sum(CouponRedemption.discount), 0),
            func.coalesce(func.sum(case((sold, Order.total), else_=0)), 0),
        )
        .join(Order, Order.id == CouponRedemption.order_id)
        .group_by(CouponRedemption.coupon_id)
    ).all()
    return {cid: (int(n), int(given), int(revenue)) for cid, n, given, revenue in rows}
