"""The order life cycle is a table; walk every pair of statuses against it."""

import itertools

import pytest

from qkart.orders.models import STATUSES, TRANSITIONS
from qkart.orders.services import NUMBER_ALPHABET, can_transition, new_order_number

ALLOWED = {
    (None, "placed"),
    (None, "awaiting_payment"),
    ("placed", "paid"),
    ("placed", "processing"),
    ("placed", "cancelled"),
    ("awaiting_payment", "paid"),
    ("awaiting_payment", "cancelled"),
    ("paid", "processing"),
    ("paid", "shipped"),
    ("paid", "cancelled"),
    ("processing", "shipped"),
    ("processing", "cancelled"),
    ("shipped", "out_for_delivery"),
    ("shipped", "delivered"),
    ("out_for_delivery", "delivered"),
    ("delivered", "return_requested"),
    ("delivered", "partly_refunded"),
    ("delivered", "refunded"),
    ("return_requested", "returned"),
    ("return_requested", "delivered"),
    ("returned", "partly_refunded"),
    ("returned", "refunded"),
    ("partly_refunded", "return_requested"),
    ("partly_refunded", "partly_refunded"),
    ("partly_refunded", "refunded"),
}


@pytest.mark.parametrize(
    ("current", "target"), list(itertools.product((None, *STATUSES), STATUSES))
)
def test_every_transition(current, target):
    assert can_transition(current, target) == ((current, target) in ALLOWED)


def test_final_states_have_no_way_out():
    assert TRANSITIONS["cancelled"] == frozenset()
    assert TRANSITIONS["refunded"] == frozenset()


def test_order_numbers_are_short_unambiguous_and_unique():
    numbers = {new_order_number() for _ in range(2000)}
    assert len(numbers) == 2000
    for number in list(numbers)[:50]:
        assert number.startswith("QK-") and len(number) == 12
        assert set(number[3:].replace("-", "")) <= set(NUMBER_ALPHABET)
        assert not set(number) & set("01OIL")
