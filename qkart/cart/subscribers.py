"""How carts react to other domains' news."""

from __future__ import annotations

from qkart.cart.reminders import count_recovery
from qkart.core.events import subscribe


@subscribe("order.placed")
def recovered(order_id: int) -> None:
    """An order from a reminded shopper counts as a recovered cart (for the analytics)."""
    from qkart.extensions import db
    from qkart.orders.models import Order

    order = db.session.get(Order, order_id)
    if order is not None:
        count_recovery(order.id, order.user_id)
