"""Reviews (1 to 5 stars, a title and text) and the helpful votes other shoppers give them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qkart.core.db import TimestampMixin, UTCDateTime, utcnow
from qkart.extensions import Model

# What the product page shows for a review whose author deleted their account.
FORMER_CUSTOMER = "A former customer"


class Review(TimestampMixin, Model):
    """One shopper's review of one product; hidden by staff, it no longer counts."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("product_id", "user_id", name="uq_reviews_product_user"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        CheckConstraint("helpful_count >= 0", name="helpful_not_negative"),
        # The product page: one product's reviews, newest first (the other orders are short
        # sorts of one product's rows); the staff list: every review, newest first.
        Index("ix_reviews_product_created", "product_id", "created_at"),
        Index("ix_reviews_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    # None once the author deleted their account (the review stays, anonymised).
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True, default=None
    )
    # The name shown ("Sam S."), copied when written so a page needs no join to users.
    author_name: Mapped[str] = mapped_column(String(80))
    rating: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    # A cache of the review's votes, kept by the vote service, for "most helpful" sorting.
    helpful_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    hidden_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def stars(self) -> int:
        """For the shared ``stars`` macro (as ``Product.stars``)."""
        return self.rating

    @property
    def edited(self) -> bool:
        """Changed by its author after it was first posted (a minute's grace)."""
        return (self.updated_at - self.created_at).total_seconds() > 60


class ReviewVote(TimestampMixin, Model):
    """One shopper found one review helpful; the unique key makes it once per shopper."""

    __tablename__ = "review_votes"
    __table_args__ = (UniqueConstraint("review_id", "user_id", name="uq_review_votes_review_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
