"""Wallet forms: a top-up by card."""

from __future__ import annotations

from wtforms.validators import InputRequired, ValidationError

from qkart.core.filters import money as money_text
from qkart.core.forms import AmountField, Form
from qkart.core.shop import setting_money


def _within_limits(form: Form, field: AmountField) -> None:
    low, high = setting_money("QKART_TOPUP_MIN"), setting_money("QKART_TOPUP_MAX")
    if field.data is None or not low.major <= field.data <= high.major:
        raise ValidationError(f"Top up between {money_text(low)} and {money_text(high)}.")


class TopUpForm(Form):
    amount = AmountField(
        "Amount to add",
        places=2,
        validators=[InputRequired("Enter an amount like 25 or 19.99."), _within_limits],
    )
