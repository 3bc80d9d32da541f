"""Orders made directly in the database, for tests that only need "this shopper got it"."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask


def order_of(app: Flask, user: Any, product: Any, status: str = "delivered") -> str:
    """An order of ``user`` holding one ``product``, already in ``status``; its number."""
    from qkart.core.db import utcnow
    from qkart.extensions import db
    from qkart.orders.models import Order, OrderLine

    with app.app_context():
        order = Order(
            number=f"QK-T{secrets.token_hex(4).upper()}",
            user_id=user.id,
            status=status,
            currency="USD",
            subtotal=product.price,
            shipping=0,
            total=product.price,
            payment_method="wallet",
            shipping_address={"country": "US"},
            contact_email=user.email,
            idempotency_key=secrets.token_hex(16),
            delivered_at=utcnow() if status != "placed" else None,
        )
        order.lines.append(
            OrderLine(
                product_id=product.id,
                product_name=product.name,
                sku=product.sku,
                unit_price=product.price,
                quantity=1,
                line_total=product.price,
            )
        )
        db.session.add(order)
        db.session.commit()
        return order.number


def order_row(
    email: str, when: Any, total: int, user: Any = None, status: str = "delivered"
) -> Any:
    """An unsaved order of ``total`` placed at ``when`` by ``user`` (or a guest ``email``),
    for reports that only read orders' times, totals, statuses and customers."""
    from qkart.orders.models import Order

    return Order(
        number=f"QK-R{secrets.token_hex(4).upper()}",
        user_id=user.id if user else None,
        status=status,
        currency="USD",
        subtotal=total,
        shipping=0,
        total=total,
        payment_method="wallet",
        shipping_address={"country": "US"},
        contact_email=email,
        idempotency_key=secrets.token_hex(16),
        created_at=when,
    )
