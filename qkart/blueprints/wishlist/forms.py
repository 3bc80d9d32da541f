"""Wishlist and compare forms: which product, what to do with it, where to go back."""

from __future__ import annotations

from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, InputRequired, NumberRange

from qkart.core.forms import Form, WholeNumberField

PRODUCT_ID = [
    InputRequired("Choose a product."),
    NumberRange(min=1, max=2**31 - 1, message="Choose a product."),
]


class WishlistForm(Form):
    """The heart: ``saved`` is the state wanted, so a double click cannot flip it back."""

    product_id = WholeNumberField("Product", validators=PRODUCT_ID)
    saved = StringField(
        "Saved",
        validators=[
            InputRequired("Say whether to save or remove the product."),
            AnyOf(["1", "0"], message="Say whether to save or remove the product."),
        ],
    )
    next = HiddenField()


class CompareForm(Form):
    product_id = WholeNumberField("Product", validators=PRODUCT_ID)
    next = HiddenField()


class ActionForm(Form):
    """A one-button form whose target is in its URL: only the CSRF token to check."""
