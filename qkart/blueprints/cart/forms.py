"""Cart forms: add a product, set a line's quantity."""

from __future__ import annotations

from typing import Any

from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

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
    """A new quantity for a line, or (the "+" and "minus" buttons) a change to it."""

    quantity = WholeNumberField(
        "Quantity",
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_LINE_QUANTITY, message=f"Choose 0 to {MAX_LINE_QUANTITY}."),
        ],
    )
    change = WholeNumberField(
        "Change",
        validators=[
            Optional(),
            NumberRange(min=-MAX_LINE_QUANTITY, max=MAX_LINE_QUANTITY, message=WHOLE_NUMBER),
        ],
    )

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.quantity.data is None and self.change.data is None:
            self.quantity.errors = [WHOLE_NUMBER]
            return False
        return True


class CouponForm(Form):
    code = StringField(
        "Promo code",
        validators=[
            DataRequired("Enter a promo code."),
            Length(max=40, message="That code is too long."),
        ],
    )
