"""Cart forms: add a product, set a line's quantity."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField
from wtforms.validators import InputRequired, NumberRange

from qkart.cart.services import MAX_LINE_QUANTITY

WHOLE_NUMBER = "Enter a whole number."


class AddToCartForm(FlaskForm):
    product_id = IntegerField(
        "Product",
        validators=[InputRequired("Choose a product."), NumberRange(min=1, max=2**31 - 1)],
    )
    quantity = IntegerField(
        "Quantity",
        default=1,
        validators=[
            InputRequired(WHOLE_NUMBER),
            NumberRange(min=1, max=MAX_LINE_QUANTITY, message=f"Choose 1 to {MAX_LINE_QUANTITY}."),
        ],
    )
    next = HiddenField()


class QuantityForm(FlaskForm):
    quantity = IntegerField(
        "Quantity",
        validators=[
            InputRequired(WHOLE_NUMBER),
            NumberRange(min=0, max=MAX_LINE_QUANTITY, message=f"Choose 0 to {MAX_LINE_QUANTITY}."),
        ],
    )
