"""Stored recommendations and the clock that says when they were last computed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from qkart.core.db import UTCDateTime
from qkart.extensions import Model


class ProductRecommendation(Model):
    """``other_product_id`` was bought with ``product_id`` in ``score`` orders."""

    __tablename__ = "product_recommendations"
    __table_args__ = (
        CheckConstraint("product_id <> other_product_id", name="not_itself"),
        # The product page reads one product's best pairs, highest score first.
        Index("ix_product_recommendations_product_score", "product_id", "score"),
    )

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    other_product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    score: Mapped[int] = mapped_column(Integer)


class RecommendationRun(Model):
    """When a kind of recommendation was last computed: the chore's guard.

    One row per kind; a run claims it with a conditional UPDATE of ``computed_at``,
    so two ticks at once never both recompute.
    """

    __tablename__ = "recommendation_runs"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    pairs: Mapped[int] = mapped_column(Integer, default=0)
