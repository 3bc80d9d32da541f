"""A shopper's question about a product and its answers (from staff or verified buyers)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qkart.core.db import TimestampMixin, UTCDateTime
from qkart.extensions import Model


class Question(TimestampMixin, Model):
    """Shown on the product page once answered; until then only to the asker (and to
    those who may answer it)."""

    __tablename__ = "questions"
    __table_args__ = (
        Index("ix_questions_product_answered", "product_id", "answered_at"),
        # The staff queue: unanswered questions, oldest first.
        Index("ix_questions_answered_created", "answered_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    # None once the asker deleted their account.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True, default=None
    )
    author_name: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    # When the first answer came: the question's "answered" state, in one indexed column.
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    answers: Mapped[list[Answer]] = relationship(
        back_populates="question",
        order_by="Answer.id",
        cascade="all, delete-orphan",
        lazy="raise_on_sql",
    )

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None


class Answer(TimestampMixin, Model):
    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True, default=None
    )
    author_name: Mapped[str] = mapped_column(String(80))
    # From the shop's staff (shown as such), or from a shopper who received the product.
    by_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str] = mapped_column(Text)

    question: Mapped[Question] = relationship(back_populates="answers", lazy="raise_on_sql")
