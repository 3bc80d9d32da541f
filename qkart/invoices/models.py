"""Invoices, credit notes, and the counters that number them."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from qkart.core.db import TimestampMixin
from qkart.core.money import Money
from qkart.extensions import Model


class DocumentCounter(Model):
    """The last number used for a kind of document in a year.

    Taking a number is a conditional UPDATE of this row in the transaction that
    stores the document: concurrent payments queue on the row lock, and a
    rolled-back document gives its number back, so numbers have no gaps.
    """

    __tablename__ = "document_counters"

    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Invoice(TimestampMixin, Model):
    __tablename__ = "invoices"
    __table_args__ = (CheckConstraint("kind IN ('invoice', 'credit_note')", name="known_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12), default="invoice")
    number: Mapped[str] = mapped_column(String(24), unique=True)
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    # The refund a credit note documents (one each).
    refund_id: Mapped[int | None] = mapped_column(
        ForeignKey("refunds.id", ondelete="SET NULL"), unique=True, default=None
    )
    pdf: Mapped[bytes] = deferred(mapped_column(LargeBinary))

    @property
    def amount_money(self) -> Money:
        return Money(self.amount, self.currency)

    @property
    def title(self) -> str:
        return "Invoice" if self.kind == "invoice" else "Credit note"

    @property
    def filename(self) -> str:
        return f"{self.number}.pdf"
