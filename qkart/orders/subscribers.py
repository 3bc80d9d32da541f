"""How orders react to other domains' news: payments settling, guests registering."""

from __future__ import annotations

from qkart.core.events import subscribe
from qkart.orders.lifecycle import cancel_if_unpayable, mark_paid_if_settled
from qkart.orders.services import claim_guest_orders


@subscribe("payment.succeeded")
def order_paid(payment_id: int, order_id: int | None) -> None:
    if order_id is not None:
        mark_paid_if_settled(order_id)


@subscribe("payment.cancelled")
def order_payment_ended(payment_id: int, order_id: int | None) -> None:
    if order_id is not None:
        cancel_if_unpayable(order_id)


@subscribe("account.email_verified")
def claim_orders(user_id: int, email: str) -> None:
    """Orders placed as a guest with this address now belong to the account."""
    claim_guest_orders(user_id, email)
