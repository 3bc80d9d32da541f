"""The order life cycle is a table; walk every pair of statuses against it."""

import itertools

import pytest

from qkart.orders.models import STATUSES, TRANSITIONS
from qkart.orders.services import NUMBER_ALPHABET, can_transition, new_order_number

ALLOWED = {
    (None, "pending"),
    ("pending", "paid"),
    ("pending", "cancelled"),
    ("paid", "processing"),
    ("paid", "cancelled"),
    ("paid", "refunded"),
    ("processing", "shipped"),
    ("processing", "cancelled"),
    ("shipped", "delivered"),
    ("delivered", "refunded"),
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
