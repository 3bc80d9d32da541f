"""Checkout forms: one per step, and the place-order form that carries the review."""

from __future__ import annotations

from wtforms import BooleanField, HiddenField, RadioField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from qkart.blueprints.auth.forms import new_email_field
from qkart.core.forms import Form, WholeNumberField

ID_RANGE = NumberRange(min=1, max=2**31 - 1, message="Choose an address.")


class ContactForm(Form):
    email = new_email_field("E-mail for your receipt")


class SavedAddressForm(Form):
    address_id = WholeNumberField(
        "Shipping address", validators=[DataRequired("Choose an address."), ID_RANGE]
    )


class ShippingForm(Form):
    shipping_method = RadioField(
        "Delivery",
        choices=[],
        validate_choice=False,
        validators=[
            DataRequired("Choose a delivery option."),
            Length(max=40, message="Choose one of the delivery options shown."),
        ],
    )


class PaymentForm(Form):
    payment_method = RadioField(
        "Pay with",
        choices=[],
        validate_choice=False,
        validators=[
            DataRequired("Choose how you want to pay."),
            Length(max=20, message="Choose one of the ways to pay shown."),
        ],
    )
    use_wallet = BooleanField("Use my wallet balance first")


class PlaceOrderForm(Form):
    """What the shopper reviewed; each value is checked again on the server."""

    checkout_key = HiddenField(validators=[Optional(), Length(max=64)])
    address_id = WholeNumberField("Shipping address", validators=[Optional(), ID_RANGE])
    shipping_method = HiddenField(validators=[Optional(), Length(max=40)])
    payment_method = HiddenField(validators=[Optional(), Length(max=20)])
    expected_total = WholeNumberField(
        "Total", validators=[Optional(), NumberRange(min=0, max=10**12)]
    )
