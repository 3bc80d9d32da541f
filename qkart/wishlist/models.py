"""Saved products (signed-in shoppers) and recently viewed products (shoppers and visitors)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qkart.catalog.models import Product
from qkart.core.db import TimestampMixin, UTCDateTime, utcnow
from qkart.extensions import Model


class WishlistItem(TimestampMixin, Model):
    """One product a signed-in shopper saved for later; at most once per shopper."""

    __tablename__ = "wishlist_items"
    __table_args__ = (
        UniqueConstraint("user_id", "product_id", name="uq_wishlist_items_user_product"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )

    product: Mapped[Product] = relationship(lazy="raise_on_sql")


class RecentlyViewed(Model):
    """A product page someone opened, and when last: one row per viewer and product.

    The viewer is an account or a visitor's session token (the cart's), never both, so
    each has its own unique key for the upsert that records a view.
    """

    __tablename__ = "recently_viewed"
    __table_args__ = (
        UniqueConstraint("user_id", "product_id", name="uq_recently_viewed_user_product"),
        UniqueConstraint(
            "visitor_token", "product_id", name="uq_recently_viewed_visitor_token_product"
        ),
        CheckConstraint("(user_id IS NULL) <> (visitor_token IS NULL)", name="one_viewer"),
        # The strip reads the newest views of one viewer; the chore prunes old visitors.
        Index("ix_recently_viewed_user_viewed", "user_id", "viewed_at"),
        Index("ix_recently_viewed_visitor_viewed", "visitor_token", "viewed_at"),
        Index("ix_recently_viewed_viewed_at", "viewed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None
    )
    visitor_token: Mapped[str | None] = mapped_column(String(64), default=None)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    viewed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    product: Mapped[Product] = relationship(lazy="raise_on_sql")
