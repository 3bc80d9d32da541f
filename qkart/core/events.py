"""Domain events: one domain says what happened; others react without being imported.

``emit("account.email_verified", user_id=1, email="a@b.c")`` calls every
subscriber of that name, in the caller's transaction, in the order they were
registered. A subscriber that must not share the transaction (an e-mail, a call
to a gateway) queues a job instead of doing the work itself.

Subscribers live in each domain's ``subscribers.py``; ``qkart.subscribers``
imports them all once, when the app is built, so the wiring is in one place.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

Handler = Callable[..., None]
_handlers: dict[str, list[Handler]] = defaultdict(list)

# The names a domain may emit, with what each carries: one place to read them all.
EVENTS = {
    "account.email_verified": "user_id, email: an address was proven to belong to the user",
    "order.placed": "order_id: an order was created (any payment state)",
    "order.paid": "order_id: every payment of the order has succeeded",
    "order.cancelled": "order_id: the order was cancelled (stock and money already put back)",
    "order.shipped": "order_id: handed to the carrier (carrier and tracking number set)",
    "order.delivered": "order_id: delivered (the return window starts)",
    "order.refunded": "order_id, amount: money went back to the shopper (part or all)",
    "return.requested": "return_id, order_id: a shopper asked to send items back",
    "payment.succeeded": "payment_id, order_id (None for a top-up): the money is in",
    "payment.cancelled": "payment_id, order_id: an open payment will never be paid",
    "payment.failed": (
        "payment_id, order_id, reason: an attempt to pay failed; reason is gateway "
        "(provider unreachable), declined (card refused) or async (the bank refused later)"
    ),
    "review.posted": "review_id, product_id, user_id, rating: a shopper reviewed a product",
    "shop.product_viewed": "product_id: a shopper opened a product's page",
    "shop.searched": "q, results: a catalogue search (first page) and how many it found",
    "cart.item_added": (
        "product_id, quantity, unit_price (minor units, may be absent): a shopper put a "
        "product in the cart"
    ),
    "cart.item_removed": "product_id: a shopper took a line out of the cart",
    "checkout.started": "a shopper opened the checkout",
    "checkout.step_done": "step: a checkout step was answered",
    "product.back_in_stock": "product_id: stock went from none to some (any stock movement)",
}


def subscribe(name: str) -> Callable[[Handler], Handler]:
    """Register the decorated function for the event ``name``."""
    if name not in EVENTS:
        raise ValueError(f"unknown event {name!r}; add it to qkart.core.events.EVENTS")

    def register(handler: Handler) -> Handler:
        if handler not in _handlers[name]:
            _handlers[name].append(handler)
        return handler

    return register


def emit(name: str, **payload: Any) -> None:
    """Call every subscriber of ``name``; their errors propagate (the caller rolls back)."""
    if name not in EVENTS:
        raise ValueError(f"unknown event {name!r}")
    for handler in list(_handlers[name]):
        handler(**payload)


def subscribers(name: str) -> list[Handler]:
    """Who listens to ``name`` (for tests and for reading the wiring)."""
    return list(_handlers[name])
