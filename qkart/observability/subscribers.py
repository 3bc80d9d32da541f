"""Domain events counted for Prometheus (registered by ``qkart.subscribers``)."""

from __future__ import annotations

from qkart.core.events import subscribe
from qkart.extensions import db
from qkart.observability.metrics import ORDERS_PLACED, PAYMENTS_FAILED, count_after_commit


@subscribe("order.placed")
def order_placed(order_id: int) -> None:
    count_after_commit(db.session(), ORDERS_PLACED)


@subscribe("payment.failed")
def payment_failed(payment_id: int, order_id: int | None, reason: str) -> None:
    count_after_commit(db.session(), PAYMENTS_FAILED.labels(reason))
