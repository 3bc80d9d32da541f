"""Back-in-stock forms: which product, and a visitor's address."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from qkart.blueprints.auth.forms import valid_email
from qkart.core.forms import WholeNumberField


class AlertForm(FlaskForm):
    """A signed-in shopper's one click: the account's address is used."""

    product_id = WholeNumberField(
        "Product",
        validators=[
            InputRequired("Choose a product."),
            NumberRange(min=1, max=2**31 - 1, message="Choose a product."),
        ],
    )


class VisitorAlertForm(AlertForm):
    email = EmailField(
        "Your e-mail address",
        id="alert-email",
        validators=[
            DataRequired("Enter your e-mail address, like name@example.com."),
            Length(max=254, message="That e-mail address is too long."),
            valid_email,
        ],
    )


class ActionForm(FlaskForm):
    """A one-button form whose target is in its URL: only the CSRF token to check."""
