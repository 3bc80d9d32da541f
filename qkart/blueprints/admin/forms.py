"""Staff forms: delivery options and their rates, tax rates, promo codes."""

from __future__ import annotations

from typing import Any

from wtforms import (
    BooleanField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from qkart.accounts.addresses import shop_countries
from qkart.core.forms import AmountField, DayField, Form, WholeNumberField, choices
from qkart.pricing.models import TAX_CLASSES

CODE = Regexp(r"^[a-z0-9-]+$", message="Use lower-case letters, digits and dashes.")
DAYS = NumberRange(min=0, max=60, message="Use 0 to 60 working days.")
MONEY = NumberRange(min=0, max=10**7, message="Enter an amount of 0 or more.")


def _countries(everywhere: str | None = None) -> list[Any]:
    pairs = [("", everywhere)] if everywhere else [("", "Choose a country")]
    return choices([*pairs, *shop_countries()])


class ShippingMethodForm(Form):
    code = StringField("Code", validators=[DataRequired("Give it a code."), Length(max=40), CODE])
    name = StringField(
        "Name shoppers see", validators=[DataRequired("Give it a name."), Length(max=80)]
    )
    description = StringField("Description (optional)", validators=[Optional(), Length(max=200)])
    kind = SelectField(
        "Kind", choices=choices([("delivery", "Delivery"), ("pickup", "Pickup in store")])
    )
    basis = SelectField(
        "Rates step by",
        choices=choices([("value", "Order value"), ("weight", "Parcel weight (grams)")]),
    )
    min_days = WholeNumberField("Earliest, in working days", validators=[InputRequired(), DAYS])
    max_days = WholeNumberField("Latest, in working days", validators=[InputRequired(), DAYS])
    free_over = AmountField(
        "Free from this order value (optional)", places=2, validators=[Optional(), MONEY]
    )
    position = WholeNumberField(
        "Position in the list", default=1, validators=[InputRequired(), NumberRange(0, 999)]
    )
    is_active = BooleanField("Offered to shoppers", default=True)


class ShippingRateForm(Form):
    country = SelectField("Country", validate_choice=True)
    from_amount = AmountField(
        "From (order value, or grams for weight-based options)",
        places=2,
        validators=[InputRequired("Enter where this rate starts, 0 for all."), MONEY],
    )
    price = AmountField("Price", places=2, validators=[InputRequired("Enter a price."), MONEY])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = _countries("Every other country")


class TaxRateForm(Form):
    country = SelectField("Country", validators=[DataRequired("Choose a country.")])
    tax_class = SelectField("Tax class", choices=choices(TAX_CLASSES.items()))
    rate = AmountField(
        "Rate, per cent",
        places=3,
        validators=[
            InputRequired("Enter a rate like 20 or 5.5."),
            NumberRange(min=0, max=99.999, message="Use a rate from 0 to 99.999."),
        ],
    )
    label = StringField(
        "Name on receipts", default="Tax", validators=[DataRequired(), Length(max=40)]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = _countries()


class CouponForm(Form):
    code = StringField(
        "Code",
        validators=[
            DataRequired("Give the code."),
            Length(max=40),
            Regexp(r"^[A-Za-z0-9_-]+$", message="Use letters, digits, dashes or underscores."),
        ],
    )
    description = StringField("Description (optional)", validators=[Optional(), Length(max=200)])
    kind = SelectField(
        "Takes off", choices=choices([("percent", "A percentage"), ("fixed", "An amount")])
    )
    value = AmountField(
        "Value (per cent, or amount)",
        places=2,
        validators=[
            InputRequired("Enter the value."),
            NumberRange(min=0.01, max=10**6, message="Enter a value above 0."),
        ],
    )
    min_order = AmountField("Minimum order (optional)", places=2, validators=[Optional(), MONEY])
    starts_at = DayField("Valid from (optional)", validators=[Optional()])
    ends_at = DayField("Valid until, not including (optional)", validators=[Optional()])
    usage_limit = WholeNumberField(
        "Uses in total (optional)", validators=[Optional(), NumberRange(min=1, max=10**7)]
    )
    per_customer_limit = WholeNumberField(
        "Uses per customer (optional)",
        default=1,
        validators=[Optional(), NumberRange(min=1, max=1000)],
    )
    first_order_only = BooleanField("Only on a customer's first order")
    categories = SelectMultipleField("Only for these categories (none: everything)", coerce=int)
    is_active = BooleanField("Active", default=True)


class ShipForm(Form):
    carrier = SelectField("Carrier")
    tracking_number = StringField(
        "Tracking number",
        validators=[
            DataRequired("Enter the tracking number."),
            Length(max=40, message="Keep it under 40 characters."),
            Regexp(r"^[A-Za-z0-9 -]{4,40}$", message="Use letters, digits, spaces or dashes."),
        ],
        filters=[lambda v: " ".join(v.split()) if isinstance(v, str) else v],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from qkart.orders.models import CARRIERS

        super().__init__(*args, **kwargs)
        self.carrier.choices = choices([(code, name) for code, (name, _) in CARRIERS.items()])


class RefundForm(Form):
    amount = AmountField(
        "Amount to refund",
        places=2,
        validators=[
            InputRequired("Enter an amount."),
            NumberRange(min=0.01, max=10**7, message="Enter an amount above 0."),
        ],
    )
    reason = StringField(
        "Reason (the shopper sees it)",
        validators=[DataRequired("Say why."), Length(max=200)],
    )
    to_wallet = BooleanField("Refund to the shopper's wallet instead")


class NoteForm(Form):
    note = StringField(
        "Note to the shopper", validators=[Optional(), Length(max=500, message="Keep it short.")]
    )


class WalletAdjustForm(Form):
    direction = SelectField(
        "Change", choices=choices([("credit", "Add credit"), ("debit", "Take credit away")])
    )
    amount = AmountField(
        "Amount",
        places=2,
        validators=[
            InputRequired("Enter an amount."),
            NumberRange(min=0.01, max=10**6, message="Enter an amount above 0."),
        ],
    )
    reason = StringField(
        "Reason (in the customer's ledger)",
        validators=[DataRequired("Say why."), Length(max=200)],
    )


class InviteForm(Form):
    email = StringField(
        "E-mail",
        validators=[DataRequired("Enter the e-mail address."), Length(max=254)],
    )
    role = SelectField(
        "Role",
        choices=choices(
            [
                ("manager", "Manager: catalogue, stock and orders"),
                ("admin", "Admin: everything but staff"),
                ("owner", "Owner: everything"),
            ]
        ),
    )


class RoleForm(Form):
    role = SelectField(
        "Role",
        choices=choices(
            [
                ("customer", "No staff access"),
                ("manager", "Manager"),
                ("admin", "Admin"),
                ("owner", "Owner"),
            ]
        ),
    )


class SettingsForm(Form):
    QKART_SHOP_NAME = StringField(
        "Shop name", validators=[DataRequired("Give the shop a name."), Length(max=60)]
    )
    QKART_CONTACT_EMAIL = StringField(
        "Contact e-mail (shown to shoppers)",
        validators=[DataRequired("Give an address shoppers can write to."), Length(max=254)],
    )
    QKART_LOCALE = SelectField("Language of prices and dates")
    QKART_TIMEZONE = SelectField(
        "Time zone of the dates shown",
        description="Order dates, delivery estimates and reports use it.",
    )
    QKART_PRICES_INCLUDE_TAX = BooleanField("Prices include tax (shown and charged tax-inclusive)")
    QKART_RETURN_WINDOW_DAYS = WholeNumberField(
        "Return window, in days after delivery",
        validators=[InputRequired(), NumberRange(min=0, max=365, message="Use 0 to 365 days.")],
    )
    QKART_WELCOME_CREDIT = AmountField(
        "Welcome credit for a new account (0 for none)",
        places=2,
        validators=[InputRequired(), MONEY],
    )
    QKART_LOW_STOCK_DEFAULT = WholeNumberField(
        "Warn about stock at or below",
        validators=[InputRequired(), NumberRange(min=0, max=10_000)],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from qkart.settings.services import LOCALES, TIMEZONES, setting

        super().__init__(*args, **kwargs)
        self.QKART_LOCALE.choices = choices(LOCALES.items())
        zones = dict.fromkeys((*TIMEZONES, setting("QKART_TIMEZONE")))
        self.QKART_TIMEZONE.choices = choices((z, z.replace("_", " ")) for z in zones)
