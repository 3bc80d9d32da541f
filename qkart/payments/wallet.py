"""The wallet ledger: every credit or debit is a row, and the balance never goes negative.

``wallets.balance`` is the running balance, changed only here and only by a
conditional UPDATE, so two concurrent debits cannot both spend the same money;
``wallet_entries`` is the ledger that explains it (its sum equals the balance).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy import select, update

from qkart.core.mailbox import mailbox
from qkart.core.money import Money
from qkart.core.pagination import Page, paginate
from qkart.core.shop import money, setting_money
from qkart.extensions import db
from qkart.payments.errors import InsufficientFundsError
from qkart.payments.models import Wallet, WalletEntry, WelcomeGrant


def balance(user_id: int | None) -> Money:
    """The shopper's store credit (zero for visitors and for accounts that never had any)."""
    if user_id is None:
        return money(0)
    value = db.session.scalar(select(Wallet.balance).where(Wallet.user_id == user_id))
    return money(value or 0)


def _ensure_wallet(user_id: int) -> None:
    if db.session.get(Wallet, user_id) is None:
        db.session.add(Wallet(user_id=user_id, balance=0))
        db.session.flush()


def _apply(user_id: int, delta: int, *, floor: int | None) -> int | None:
    stmt = update(Wallet).where(Wallet.user_id == user_id)
    if floor is not None:
        stmt = stmt.where(Wallet.balance >= floor)
    stmt = (
        stmt.values(balance=Wallet.balance + delta)
        .returning(Wallet.balance)
        .execution_options(synchronize_session="fetch")
    )
    return db.session.execute(stmt).scalar_one_or_none()


def credit_wallet(
    user_id: int,
    amount: Money,
    *,
    kind: str,
    description: str,
    order_id: int | None = None,
    order_number: str | None = None,
) -> WalletEntry:
    """Add store credit and record why."""
    if amount.amount <= 0:
        raise ValueError("a wallet credit must be positive")
    _ensure_wallet(user_id)
    new_balance = _apply(user_id, amount.amount, floor=None)
    if new_balance is None:
        raise LookupError(f"no wallet for user {user_id}")
    return _record(user_id, amount.amount, new_balance, kind, description, order_id, order_number)


def debit_wallet(
    user_id: int,
    amount: Money,
    *,
    kind: str,
    description: str,
    order_id: int | None = None,
    order_number: str | None = None,
) -> WalletEntry:
    """Spend store credit; raises ``InsufficientFundsError`` and changes nothing if short."""
    if amount.amount <= 0:
        raise ValueError("a wallet debit must be positive")
    new_balance = _apply(user_id, -amount.amount, floor=amount.amount)
    if new_balance is None:
        raise InsufficientFundsError()
    return _record(user_id, -amount.amount, new_balance, kind, description, order_id, order_number)


def _record(
    user_id: int,
    amount: int,
    new_balance: int,
    kind: str,
    description: str,
    order_id: int | None,
    order_number: str | None,
) -> WalletEntry:
    entry = WalletEntry(
        user_id=user_id,
        amount=amount,
        balance_after=new_balance,
        kind=kind,
        description=description,
        order_id=order_id,
        order_number=order_number,
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


def wallet_page(user_id: int, page: int = 1, per_page: int = 25) -> Page[WalletEntry]:
    """The shopper's ledger, newest first, one page of it."""
    stmt = (
        select(WalletEntry)
        .where(WalletEntry.user_id == user_id)
        .order_by(WalletEntry.created_at.desc(), WalletEntry.id.desc())
    )
    return paginate(stmt, page, per_page)


def email_digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def grant_welcome_credit(user_id: int, email: str) -> WalletEntry | None:
    """Give the welcome store credit (``QKART_WELCOME_CREDIT``) once per mailbox.

    Once per mailbox, not per account or spelling: ``me+1@`` and ``me+2@`` (and, at
    Gmail, ``m.e@``) reach one inbox, so they share one grant. The hash of every
    mailbox that had it is kept, even after the account is deleted. Grants made
    before mailboxes were compared are keyed by the plain address, so both count.
    """
    amount = setting_money("QKART_WELCOME_CREDIT")
    digest = email_digest(mailbox(email))
    earlier = {digest, email_digest(email)}
    if amount.amount <= 0 or any(db.session.get(WelcomeGrant, d) for d in earlier):
        return None
    db.session.add(WelcomeGrant(email_digest=digest))
    db.session.flush()
    return credit_wallet(user_id, amount, kind="welcome", description="Welcome to QKart")
