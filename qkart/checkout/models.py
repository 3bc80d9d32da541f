"""What a shopper chose so far at checkout, kept beside their cart.

Each step of the checkout page (contact, address, delivery, payment) saves its
answer here, so every step can be a plain form of its own (text browsers and
JavaScript-off included) and the review shows exactly what will be ordered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from qkart.core.db import UTCDateTime, utcnow
from qkart.extensions import Model


class CheckoutDraft(Model):
    __tablename__ = "checkout_drafts"

    cart_id: Mapped[int] = mapped_column(
        ForeignKey("carts.id", ondelete="CASCADE"), primary_key=True
    )
    # A guest's e-mail (signed-in shoppers use their account's).
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    # A saved address of the shopper's, or (guests) the address itself.
    address_id: Mapped[int | None] = mapped_column(
        ForeignKey("addresses.id", ondelete="SET NULL"), default=None
    )
    address: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    shipping_method: Mapped[str | None] = mapped_column(String(40), default=None)
    payment_method: Mapped[str | None] = mapped_column(String(20), default=None)
    # Pay what the wallet holds first, the rest by card.
    use_wallet: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
