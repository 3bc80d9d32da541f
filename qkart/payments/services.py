"""The wallet ledger: every credit or debit is a row, and the balance never goes negative.

``users.wallet_balance`` is the running balance, changed only here and only by a
conditional UPDATE, so two concurrent debits cannot both spend the same money;
``wallet_entries`` is the ledger that explains it (its sum equals the balance).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update

from qkart.accounts.models import User
from qkart.core.money import Money
from qkart.core.pagination import Page, paginate
from qkart.extensions import db
from qkart.payments.errors import InsufficientFundsError, UnknownPaymentMethodError
from qkart.payments.models import Payment, WalletEntry

PAYMENT_METHODS = {"wallet": "QKart wallet"}


def _apply(user_id: int, delta: int, *, floor: int | None) -> int | None:
    stmt = update(User).where(User.id == user_id)
    if floor is not None:
        stmt = stmt.where(User.wallet_balance >= floor)
    stmt = (
        stmt.values(wallet_balance=User.wallet_balance + delta)
        .returning(User.wallet_balance)
        .execution_options(synchronize_session="fetch")
    )
    return db.session.execute(stmt).scalar_one_or_none()


def credit_wallet(
    user_id: int, amount: Money, *, kind: str, description: str, order_id: int | None = None
) -> WalletEntry:
    """Add store credit and record why."""
    if amount.amount <= 0:
        raise ValueError("a wallet credit must be positive")
    balance = _apply(user_id, amount.amount, floor=None)
    if balance is None:
        raise LookupError(f"no user {user_id}")
    return _record(user_id, amount.amount, balance, kind, description, order_id)


def debit_wallet(
    user_id: int, amount: Money, *, kind: str, description: str, order_id: int | None = None
) -> WalletEntry:
    """Spend store credit; raises ``InsufficientFundsError`` and changes nothing if short."""
    if amount.amount <= 0:
        raise ValueError("a wallet debit must be positive")
    balance = _apply(user_id, -amount.amount, floor=amount.amount)
    if balance is None:
        raise InsufficientFundsError()
    return _record(user_id, -amount.amount, balance, kind, description, order_id)


def _record(
    user_id: int, amount: int, balance: int, kind: str, description: str, order_id: int | None
) -> WalletEntry:
    entry = WalletEntry(
        user_id=user_id,
        amount=amount,
        balance_after=balance,
        kind=kind,
        description=description,
        order_id=order_id,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def wallet_entries(user_id: int, limit: int = 50) -> Sequence[WalletEntry]:
    stmt = (
        select(WalletEntry)
        .where(WalletEntry.user_id == user_id)
        .order_by(WalletEntry.created_at.desc(), WalletEntry.id.desc())
        .limit(limit)
    )
    return db.session.scalars(stmt).all()


def check_payment_method(method: str) -> str:
    if method not in PAYMENT_METHODS:
        raise UnknownPaymentMethodError("Choose how you want to pay.")
    return method


def pay_with_wallet(user_id: int, order_id: int, number: str, amount: Money) -> Payment:
    """Debit the wallet for an order and record the payment, in the caller's transaction."""
    debit_wallet(user_id, amount, kind="order", description=f"Order {number}", order_id=order_id)
    payment = Payment(
        order_id=order_id,
        method="wallet",
        amount=amount.amount,
        currency=amount.currency,
        status="succeeded",
        reference=f"wallet:{number}",
    )
    db.session.add(payment)
    db.session.flush()
    return payment


def wallet_page(user_id: int, page: int = 1, per_page: int = 25) -> Page[WalletEntry]:
    """The shopper's ledger, newest first, one page of it."""
    stmt = (
        select(WalletEntry)
        .where(WalletEntry.user_id == user_id)
        .order_by(WalletEntry.created_at.desc(), WalletEntry.id.desc())
    )
    return paginate(stmt, page, per_page)
