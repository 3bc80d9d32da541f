"""The payment life cycle is a table; walk every pair of statuses against it."""

import itertools

import pytest

from qkart.payments.models import PAYMENT_STATUSES, PAYMENT_TRANSITIONS
from qkart.payments.services import can_transition

ALLOWED = {
    (None, "pending"),
    ("pending", "requires_action"),
    ("pending", "succeeded"),
    ("pending", "failed"),
    ("pending", "cancelled"),
    ("requires_action", "succeeded"),
    ("requires_action", "failed"),
    ("requires_action", "cancelled"),
    # Paid at the moment the shop gave up: the money is real (and is refunded).
    ("cancelled", "succeeded"),
    ("succeeded", "partly_refunded"),
    ("succeeded", "refunded"),
    ("partly_refunded", "partly_refunded"),
    ("partly_refunded", "refunded"),
}


@pytest.mark.parametrize(
    ("current", "target"), list(itertools.product((None, *PAYMENT_STATUSES), PAYMENT_STATUSES))
)
def test_every_payment_transition(current, target):
    assert can_transition(current, target) == ((current, target) in ALLOWED)


def test_failed_and_refunded_payments_are_final():
    assert PAYMENT_TRANSITIONS["failed"] == frozenset()
    assert PAYMENT_TRANSITIONS["refunded"] == frozenset()
