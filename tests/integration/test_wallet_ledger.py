"""The wallet is a ledger and can never go negative."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from qkart.core.money import Money
from qkart.payments.errors import InsufficientFundsError
from qkart.payments.models import Wallet, WalletEntry
from qkart.payments.wallet import balance, credit_wallet, debit_wallet, grant_welcome_credit


def _ledger_sum(db, user_id):
    return db.session.scalar(
        select(func.coalesce(func.sum(WalletEntry.amount), 0)).where(WalletEntry.user_id == user_id)
    )


def test_every_change_is_a_row_and_the_sum_is_the_balance(factory, db):
    user = factory.user()
    credit_wallet(user.id, Money(10_000, "USD"), kind="adjustment", description="Gift")
    debit_wallet(user.id, Money(2_500, "USD"), kind="order", description="Order X")
    db.session.commit()
    assert balance(user.id).amount == 7_500 == _ledger_sum(db, user.id)
    entries = db.session.scalars(
        select(WalletEntry).where(WalletEntry.user_id == user.id).order_by(WalletEntry.id)
    ).all()
    assert [(e.amount, e.balance_after) for e in entries] == [(10_000, 10_000), (-2_500, 7_500)]


def test_debit_beyond_balance_is_refused_and_writes_nothing(factory, db):
    user = factory.user(wallet=1_000)
    with pytest.raises(InsufficientFundsError):
        debit_wallet(user.id, Money(1_001, "USD"), kind="order", description="Too much")
    db.session.rollback()
    assert balance(user.id).amount == 1_000
    assert _ledger_sum(db, user.id) == 1_000


def test_database_refuses_a_negative_balance(factory, db):
    user = factory.user(wallet=100)
    with pytest.raises(IntegrityError):
        db.session.execute(
            Wallet.__table__.update().where(Wallet.user_id == user.id).values(balance=-1)
        )
        db.session.flush()
    db.session.rollback()


def test_zero_or_negative_amounts_are_programming_errors(factory, db):
    user = factory.user()
    with pytest.raises(ValueError):
        credit_wallet(user.id, Money(0, "USD"), kind="adjustment", description="")
    with pytest.raises(ValueError):
        debit_wallet(user.id, Money(-5, "USD"), kind="adjustment", description="")


def test_welcome_credit_is_granted_once(factory, db):
    user = factory.user()
    assert grant_welcome_credit(user.id, user.email) is not None
    assert grant_welcome_credit(user.id, user.email.upper()) is None
    db.session.commit()
    assert balance(user.id).amount == 500_000
