"""The wallet ledger and payment records."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qkart.core.db import TimestampMixin
from qkart.core.money import Money
from qkart.core.shop import money
from qkart.extensions import db

if TYPE_CHECKING:
    from qkart.orders.models import Order


class WalletEntry(TimestampMixin, db.Model):
    """One credit (positive) or debit (negative) of a shopper's store credit."""

    __tablename__ = "wallet_entries"
    __table_args__ = (Index("ix_wallet_entries_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    amount: Mapped[int] = mapped_column(Integer)
    balance_after: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(200), default="")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), default=None)

    # Ledger pages link each order debit to its order: load it in the same query.
    order: Mapped[Order | None] = relationship(lazy="joined")

    @property
    def amount_money(self) -> Money:
        return money(self.amount)

    @property
    def balance_money(self) -> Money:
        return money(self.balance_after)


class Payment(TimestampMixin, db.Model):
    """How an order was paid: method, amount, status and the provider's reference."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    method: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(100), default="")

    @property
    def amount_money(self) -> Money:
        return Money(self.amount, self.currency)
