"""The place-order form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, RadioField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from qkart.core.forms import choices
from qkart.payments.services import PAYMENT_METHODS


class PlaceOrderForm(FlaskForm):
    address_id = IntegerField(
        "Shipping address",
        validators=[Optional(), NumberRange(min=1, max=2**31 - 1, message="Choose an address.")],
    )
    payment_method = RadioField(
        "Payment",
        choices=choices(PAYMENT_METHODS.items()),
        default="wallet",
        validators=[DataRequired("Choose how you want to pay.")],
    )
    checkout_key = HiddenField(validators=[Optional(), Length(max=64)])
