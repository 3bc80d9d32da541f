"""What other domains' events mean for analytics (registered by ``qkart.subscribers``)."""

from __future__ import annotations

from typing import Any

from qkart.analytics import services as analytics
from qkart.core.events import subscribe
from qkart.extensions import db


def _order_total(order_id: int) -> int | None:
    from qkart.orders.models import Order

    order = db.session.get(Order, order_id)
    return order.total if order is not None else None


def _with_or_without_visit(kind: str, order_id: int, value: int | None = None) -> None:
    if analytics.current() is not None:
        analytics.record(kind, order_id=order_id, value=value)
    else:
        analytics.record_now(kind, order_id=order_id, value=value)


@subscribe("shop.product_viewed")
def product_viewed(product_id: int) -> None:
    analytics.record("product.viewed", product_id=product_id)


@subscribe("shop.searched")
def searched(q: str, results: int) -> None:
    analytics.record("search", q=q.casefold()[:100], results=results)


@subscribe("cart.item_added")
def item_added(product_id: int, quantity: int, unit_price: int | None = None) -> None:
    """The line's value rides along, so the abandonment report can say what carts held."""
    value = unit_price * quantity if unit_price is not None else None
    analytics.record("cart.added", product_id=product_id, value=value, quantity=quantity)


@subscribe("cart.item_removed")
def item_removed(product_id: int) -> None:
    analytics.record("cart.removed", product_id=product_id)


@subscribe("checkout.started")
def checkout_started() -> None:
    analytics.record("checkout.started")


@subscribe("checkout.step_done")
def checkout_step(step: str) -> None:
    analytics.record("checkout.step", step=step)


@subscribe("order.placed")
def order_placed(order_id: int) -> None:
    _with_or_without_visit("order.placed", order_id, _order_total(order_id))


@subscribe("order.paid")
def order_paid(order_id: int) -> None:
    _with_or_without_visit("order.paid", order_id)


@subscribe("order.cancelled")
def order_cancelled(order_id: int) -> None:
    _with_or_without_visit("order.cancelled", order_id)


@subscribe("order.refunded")
def order_refunded(order_id: int, amount: Any = None) -> None:
    value = getattr(amount, "amount", amount)
    _with_or_without_visit("order.refunded", order_id, int(value) if value is not None else None)


@subscribe("review.posted")
def review_posted(review_id: int, product_id: int, user_id: int, rating: int) -> None:
    analytics.record("review.posted", product_id=product_id, rating=rating)
