"""The catalogue's query string, validated like any other form."""

from __future__ import annotations

from decimal import Decimal

from flask import request
from wtforms import (
    BooleanField,
    DecimalField,
    HiddenField,
    SearchField,
    SelectField,
    SelectMultipleField,
)
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from qkart.blueprints.common import page_number
from qkart.catalog.services import MAX_QUERY_LENGTH, PAGE_SIZES, SORTS, ProductQuery
from qkart.core.forms import AmountField, Form, choices
from qkart.core.money import Money

MAX_BRANDS = 10


class CatalogueForm(Form):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = SearchField(
        "Search products",
        validators=[
            Optional(),
            Length(max=MAX_QUERY_LENGTH, message="Keep the search under 100 characters."),
        ],
        filters=[lambda v: " ".join(v.split()) if v else ""],
    )
    # Several values each; checkboxes drawn from the facet counts (see shop/_facets.html).
    category = SelectMultipleField("Category", validate_choice=False)
    brand = SelectMultipleField("Brand", validate_choice=False)
    min_price = AmountField(
        "Min price",
        places=None,
        validators=[
            Optional(),
            NumberRange(min=0, max=10**7, message="Enter a price of 0 or more."),
        ],
    )
    max_price = AmountField(
        "Max price",
        places=None,
        validators=[
            Optional(),
            NumberRange(min=0, max=10**7, message="Enter a price of 0 or more."),
        ],
    )
    rating = SelectField(
        "Rating",
        choices=choices(
            [
                ("", "Any rating"),
                ("4", "4 stars & up"),
                ("3", "3 stars & up"),
                ("2", "2 stars & up"),
            ]
        ),
        validators=[Optional()],
    )
    in_stock = BooleanField("In stock only")
    sort = SelectField("Sort by", choices=choices(SORTS.items()), default="relevance")
    per_page = SelectField(
        "Per page",
        choices=choices((str(n), str(n)) for n in PAGE_SIZES),
        default=str(PAGE_SIZES[0]),
    )

    def validate_brand(self, field: SelectMultipleField) -> None:
        brands = [b.strip() for b in field.data or [] if b.strip()]
        if len(brands) > MAX_BRANDS or any(len(b) > 80 for b in brands):
            raise ValidationError(f"Choose at most {MAX_BRANDS} brands from the list.")
        field.data = list(dict.fromkeys(brands))

    def validate_max_price(self, field: DecimalField) -> None:
        low = None if self.min_price.errors else self.min_price.data
        if field.data is not None and low is not None and field.data < low:
            raise ValidationError("The highest price must be at least the lowest price.")

    def to_query(self, currency: str) -> ProductQuery:
        """The validated query; a field that failed validation is simply left out."""

        def minor(field: DecimalField) -> int | None:
            if field.errors or field.data is None:
                return None
            return Money.from_major(Decimal(field.data), currency).amount

        def ok(field: object) -> bool:
            return not getattr(field, "errors", None)

        return ProductQuery(
            q=self.q.data if ok(self.q) and self.q.data else "",
            categories=tuple(dict.fromkeys(c for c in self.category.data or [] if c)),
            brands=tuple(self.brand.data or []) if ok(self.brand) else (),
            min_price=minor(self.min_price),
            max_price=minor(self.max_price),
            rating=int(self.rating.data)
            if ok(self.rating) and (self.rating.data or "").strip()
            else None,
            in_stock=bool(self.in_stock.data),
            sort=self.sort.data if ok(self.sort) and self.sort.data else "relevance",
            page=page_number(request.args.get("page")),
            per_page=int(self.per_page.data) if ok(self.per_page) and self.per_page.data else 12,
        )


VIEWS = {"grid": "Grid", "list": "List"}


class ViewForm(Form):
    """Grid or list: how the shopper likes listings drawn (kept in a cookie)."""

    view = SelectField("View", choices=choices(VIEWS.items()))
    next = HiddenField()
