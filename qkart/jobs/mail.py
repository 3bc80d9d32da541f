"""E-mail jobs. Each takes ids, loads fresh data, and sends one message."""

from __future__ import annotations

from qkart.extensions import db
from qkart.jobs import with_app
from qkart.notifications.services import send_email
from qkart.orders.models import Order


@with_app
def send_order_confirmation(order_id: int) -> None:
    order = db.session.get(Order, order_id)
    if order is None:
        return
    send_email(
        order.contact_email,
        f"Your QKart order {order.number}",
        "order_confirmation",
        order=order,
    )
