"""Cart forms: add a product, set a line's quantity."""

from __future__ import annotations

from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from qkart.cart.services import MAX_LINE_QUANTITY
from qkart.core.forms import Form, WholeNumberField

WHOLE_NUMBER = "Enter a whole number."


class AddToCartForm(Form):
    product_id = WholeNumberField(
        "Product",
        validators=[InputRequired("Choose a product."), NumberRange(min=1, max=2**31 - 1)],
    )
    # Cards in the grid send no quantity: that means one.
    quantity = WholeNumberField(
        "Quantity",
        default=1,
        validators=[
            NumberRange(min=1, max=MAX_LINE_QUANTITY, message=f"Choose 1 to {MAX_LINE_QUANTITY}.")
        ],
    )
    next = HiddenField()


class QuantityForm(Form):
    quantity = WholeNumberField(
        "Quantity",
        validators=[
            InputRequired(WHOLE_NUMBER),
            NumberRange(min=0, max=MAX_LINE_QUANTITY, message=f"Choose 0 to {MAX_LINE_QUANTITY}."),
        ],
    )


class CouponForm(Form):
    code = StringField(
        "Promo code",
        validators=[
            DataRequired("Enter a promo code."),
            Length(max=40, message="That code is too long."),
        ],
    )
