"""Staff forms for the catalogue: products, their pictures and stock, categories."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from qkart.catalog.management import STOCK_REASONS
from qkart.catalog.services import list_categories
from qkart.core.forms import AmountField, Form, WholeNumberField, choices
from qkart.pricing.models import TAX_CLASSES

PRICE = NumberRange(min=0, max=10**7, message="Enter a price of 0 or more.")


def category_choices(empty: str | None = None) -> list[Any]:
    pairs = [(str(c.id), c.name) for c in list_categories()]
    return choices([("", empty), *pairs] if empty else pairs)


class ProductForm(Form):
    name = StringField("Name", validators=[DataRequired("Give it a name."), Length(max=200)])
    slug = StringField(
        "Web address (made from the name if empty)",
        validators=[
            Optional(),
            Length(max=160),
            Regexp(r"^[a-z0-9-]+$", message="Use lower-case letters, digits and dashes."),
        ],
    )
    sku = StringField(
        "SKU",
        validators=[
            DataRequired("Give it a SKU."),
            Length(max=40),
            Regexp(
                r"^[A-Za-z0-9._-]+$", message="Use letters, digits, dots, dashes or underscores."
            ),
        ],
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=10_000)])
    price = AmountField("Price", places=2, validators=[InputRequired("Enter a price."), PRICE])
    compare_at_price = AmountField(
        "Compare-at price (optional, shows a saving)", places=2, validators=[Optional(), PRICE]
    )
    category_id = SelectField(
        "Category", coerce=int, validators=[DataRequired("Choose a category.")]
    )
    brand = StringField("Brand (optional)", validators=[Optional(), Length(max=80)])
    tax_class = SelectField("Tax class", choices=choices(TAX_CLASSES.items()))
    weight_grams = WholeNumberField(
        "Weight in grams", default=0, validators=[InputRequired(), NumberRange(min=0, max=10**6)]
    )
    seo_title = StringField(
        "Search engine title (optional)", validators=[Optional(), Length(max=70)]
    )
    seo_description = StringField(
        "Search engine description (optional)", validators=[Optional(), Length(max=160)]
    )
    low_stock_threshold = WholeNumberField(
        "Warn at this stock (optional)", validators=[Optional(), NumberRange(min=0, max=10_000)]
    )
    is_active = BooleanField("Published: sold in the shop")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category_id.choices = category_choices()


class StockForm(Form):
    delta = WholeNumberField(
        "Units in (or out, with a minus)",
        validators=[InputRequired("Enter how many."), NumberRange(min=-100_000, max=100_000)],
    )
    reason = SelectField("Why", choices=choices(STOCK_REASONS.items()))
    note = StringField("Note (optional)", validators=[Optional(), Length(max=200)])


class ImageForm(Form):
    image = FileField(
        "Picture (JPEG, PNG or WebP, up to 5 MB)", validators=[FileRequired("Choose a picture.")]
    )
    alt = StringField(
        "What it shows (for people who cannot see it)", validators=[Optional(), Length(max=200)]
    )


class AltForm(Form):
    alt = StringField("Description", validators=[Optional(), Length(max=200)])


class CategoryForm(Form):
    name = StringField("Name", validators=[DataRequired("Give it a name."), Length(max=80)])
    slug = StringField(
        "Web address (made from the name if empty)",
        validators=[
            Optional(),
            Length(max=100),
            Regexp(r"^[a-z0-9-]+$", message="Use lower-case letters, digits and dashes."),
        ],
    )
    parent_id = SelectField("Inside", coerce=lambda v: int(v) if v not in ("", None) else None)
    description = TextAreaField("Description (optional)", validators=[Optional(), Length(max=5000)])
    attribute_names = TextAreaField(
        "Attributes of its products, one per line (e.g. Size, Colour)",
        validators=[Optional(), Length(max=2000)],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parent_id.choices = category_choices("Top level")


class ImportForm(Form):
    file = FileField("CSV file (UTF-8, up to 5 MB)", validators=[FileRequired("Choose a file.")])
