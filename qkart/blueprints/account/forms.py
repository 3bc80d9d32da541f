"""Account forms: the address (shared with checkout)."""

from __future__ import annotations

import re

from flask import current_app
from wtforms import BooleanField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from qkart.accounts.addresses import shop_countries
from qkart.core.forms import Form, choices

_strip = [lambda v: " ".join(v.split()) if isinstance(v, str) else v]
PHONE = re.compile(r"^\+?[0-9 ()./-]{5,30}$")


def _required(label: str, limit: int) -> list[object]:
    return [
        DataRequired(f"Enter the {label}."),
        Length(max=limit, message=f"Keep the {label} under {limit} characters."),
    ]


class AddressForm(Form):
    full_name = StringField("Full name", validators=_required("full name", 100), filters=_strip)
    line1 = StringField(
        "Address line 1", validators=_required("street address", 200), filters=_strip
    )
    line2 = StringField(
        "Address line 2 (optional)",
        validators=[Optional(), Length(max=200, message="Keep line 2 under 200 characters.")],
        filters=_strip,
    )
    city = StringField("Town or city", validators=_required("town or city", 100), filters=_strip)
    region = StringField(
        "State, county or region (optional)",
        validators=[Optional(), Length(max=100, message="Keep the region under 100 characters.")],
        filters=_strip,
    )
    postal_code = StringField(
        "Postal code",
        validators=[
            *_required("postal code", 20),
            Regexp(r"^[A-Za-z0-9 -]+$", message="Use letters, digits, spaces or dashes."),
        ],
        filters=_strip,
    )
    country = SelectField("Country", validators=[DataRequired("Choose a country.")])
    phone = TelField(
        "Phone (optional, for the courier)",
        validators=[
            Optional(),
            Regexp(PHONE.pattern, message="Enter a phone number like +1 555 123 4567."),
        ],
        filters=_strip,
    )
    is_default = BooleanField("Use as my default shipping address")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = choices([("", "Choose a country"), *shop_countries()])
        blank = kwargs.get("formdata", "posted") is None and "obj" not in kwargs
        if blank and not self.country.data:
            # A new address starts in the shop's own country (a posted form never does).
            self.country.data = current_app.config["QKART_COUNTRY"]

    def fields_dict(self) -> dict[str, str]:
        return {
            name: getattr(self, name).data or ""
            for name in (
                "full_name",
                "line1",
                "line2",
                "city",
                "region",
                "postal_code",
                "country",
                "phone",
            )
        }
