"""Payments as records: one row per attempt, each with its own state table.

An order may hold several payments (the wallet part and the card part of a split
payment), a shopper's wallet top-up is a payment without an order, and money
going back is a ``Refund`` of one payment. The wallet itself is a balance plus a
ledger that explains it, owned here and changed only by this domain.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qkart.core.db import TimestampMixin, UTCDateTime, utcnow
from qkart.core.money import Money
from qkart.core.shop import money
from qkart.extensions import Model

# The payment life cycle as a table: from-status -> statuses it may move to.
# ``None`` is "not yet created". Every change goes through services.transition_payment.
PAYMENT_TRANSITIONS: dict[str | None, frozenset[str]] = {
    None: frozenset({"pending"}),
    "pending": frozenset({"requires_action", "succeeded", "failed", "cancelled"}),
    "requires_action": frozenset({"succeeded", "failed", "cancelled"}),
    # A card paid at the very moment the shop gave up on it: the money is real, so
    # the payment succeeds (and is refunded at once if its order is gone).
    "cancelled": frozenset({"succeeded"}),
    "failed": frozenset(),
    "succeeded": frozenset({"partly_refunded", "refunded"}),
    "partly_refunded": frozenset({"partly_refunded", "refunded"}),
    "refunded": frozenset(),
}
PAYMENT_STATUSES = tuple(s for s in PAYMENT_TRANSITIONS if s is not None)
OPEN_STATUSES = ("pending", "requires_action")
PAID_STATUSES = ("succeeded", "partly_refunded", "refunded")
PAYMENT_STATUS_LABELS = {
    "pending": "Pending",
    "requires_action": "Waiting for you to pay",
    "succeeded": "Paid",
    "failed": "Failed",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
    "partly_refunded": "Partly refunded",
}
METHOD_LABELS = {"wallet": "QKart wallet", "card": "Card", "cod": "Cash on delivery"}
ACTORS = ("shopper", "staff", "system", "webhook")


def _status_check(column: str, statuses: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(s) for s in statuses)})"


class Wallet(Model):
    """A shopper's store credit. The CHECK keeps it at zero or more whatever the code does."""

    __tablename__ = "wallets"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    balance: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class WalletEntry(TimestampMixin, Model):
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
    # The order number, copied: the ledger links to it without loading the order.
    order_number: Mapped[str | None] = mapped_column(String(20), default=None)

    @property
    def amount_money(self) -> Money:
        return money(self.amount)

    @property
    def balance_money(self) -> Money:
        return money(self.balance_after)


class WelcomeGrant(Model):
    """An address that has had the welcome credit, kept only as a hash.

    It outlives account deletion, so deleting and re-registering the same mailbox
    cannot collect the welcome credit again.
    """

    __tablename__ = "welcome_grants"

    email_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Payment(TimestampMixin, Model):
    """One attempt to take money: its method, amount, state and the provider's reference."""

    __tablename__ = "payments"
    __table_args__ = (
        # A provider's id names one attempt only (webhooks find the payment by it).
        UniqueConstraint("provider", "reference", name="uq_payments_provider_reference"),
        CheckConstraint(_status_check("status", PAYMENT_STATUSES), name="known_status"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "refunded_amount >= 0 AND refunded_amount <= amount", name="refund_within_amount"
        ),
        CheckConstraint("purpose IN ('order', 'topup')", name="known_purpose"),
        Index("ix_payments_reference", "reference"),
        Index("ix_payments_open", "status", "provider", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True, default=None)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True, default=None
    )
    purpose: Mapped[str] = mapped_column(String(10), default="order")
    method: Mapped[str] = mapped_column(String(20))
    provider: Mapped[str] = mapped_column(String(20), default="qkart")
    amount: Mapped[int] = mapped_column(Integer)
    refunded_amount: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    reference: Mapped[str | None] = mapped_column(String(255), default=None)
    # The provider's id of the money movement itself (Stripe PaymentIntent), for refunds.
    provider_payment_id: Mapped[str | None] = mapped_column(String(255), default=None)
    # Sent with every call that creates something at the provider for this attempt, so a
    # retried call (a double click, a network error) never creates a second one.
    idempotency_key: Mapped[str] = mapped_column(String(64), default="")
    checkout_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # For the shopper ("Your card was declined."); internals go to the log only.
    shopper_message: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    events: Mapped[list[PaymentEvent]] = relationship(
        back_populates="payment", cascade="all, delete-orphan", order_by="PaymentEvent.id"
    )
    refunds: Mapped[list[Refund]] = relationship(
        back_populates="payment", cascade="all, delete-orphan", order_by="Refund.id"
    )

    @property
    def amount_money(self) -> Money:
        return Money(self.amount, self.currency)

    @property
    def refunded_money(self) -> Money:
        return Money(self.refunded_amount, self.currency)

    @property
    def refundable(self) -> Money:
        return Money(self.amount - self.refunded_amount, self.currency)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_paid(self) -> bool:
        return self.status in PAID_STATUSES

    @property
    def status_label(self) -> str:
        return PAYMENT_STATUS_LABELS.get(self.status, self.status)

    @property
    def method_label(self) -> str:
        return METHOD_LABELS.get(self.method, self.method.title())


class PaymentEvent(TimestampMixin, Model):
    """One status change of a payment: from, to, when, who (and why)."""

    __tablename__ = "payment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("payments.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(10), default="system")
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    note: Mapped[str] = mapped_column(String(200), default="")

    payment: Mapped[Payment] = relationship(back_populates="events")


class Refund(TimestampMixin, Model):
    """Money going back on one payment: to the wallet, the card, or by hand (cash)."""

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="known_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("payments.id", ondelete="CASCADE"), index=True
    )
    amount: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    reason: Mapped[str] = mapped_column(String(200), default="")
    reference: Mapped[str | None] = mapped_column(String(255), default=None, index=True)
    # Where the money went: the payment's own method, or the wallet when asked.
    destination: Mapped[str] = mapped_column(String(20), default="original")
    failure_message: Mapped[str] = mapped_column(String(200), default="")
    actor: Mapped[str] = mapped_column(String(10), default="system")
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )

    payment: Mapped[Payment] = relationship(back_populates="refunds")

    @property
    def amount_money(self) -> Money:
        return Money(self.amount, self.payment.currency)


class StripeEvent(Model):
    """A webhook event as Stripe sent it; the primary key makes each one count once."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    outcome: Mapped[str] = mapped_column(String(200), default="")
