"""Form helpers shared by every blueprint."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from flask import request
from flask_wtf import FlaskForm
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from wtforms import DateField, DecimalField, IntegerField, SelectChoice
from wtforms.fields import FileField  # MultipleFileField is one too


class Form(FlaskForm):
    """The base of every QKart form: it only reads uploaded files for its file fields.

    A hand-made multipart request can send a file part named like a text field
    (``email``); WTForms would hand the text field a file object and fail with a 500.
    Ignoring such parts leaves the field empty, so it gets its normal message.
    """

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            data = super().wrap_formdata(form, formdata)
            if not isinstance(data, CombinedMultiDict):
                return data
            uploads = {field.name for field in form if isinstance(field, FileField)}
            files = MultiDict([(k, v) for k, v in request.files.items(multi=True) if k in uploads])
            return CombinedMultiDict((files, request.form)) if files else request.form


def choices(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """``(value, label)`` pairs as WTForms choices (tuples are deprecated there)."""
    return [SelectChoice(value, label) for value, label in pairs]


class WholeNumberField(IntegerField):
    """An integer field whose parse error tells people what to type."""

    # What WTForms parsed (an int once validated): untyped there, so untyped here too.
    data: Any

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        raw = valuelist[0].strip() if isinstance(valuelist[0], str) else valuelist[0]
        try:
            self.data = int(raw)
        except (TypeError, ValueError):
            self.data = None
            raise ValueError(self.gettext("Enter a whole number.")) from None


class AmountField(DecimalField):
    """A decimal amount; "NaN", "Infinity" and the like are refused, not computed with,
    and a typo says what to type instead of WTForms' "Not a valid decimal value."."""

    data: Any  # a finite Decimal once validated

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(self.gettext("Enter an amount like 25 or 19.99.")) from None
        if isinstance(self.data, Decimal) and not self.data.is_finite():
            self.data = None
            raise ValueError(self.gettext("Enter an amount like 25 or 19.99."))


class DayField(DateField):
    """A calendar day (``<input type="date">`` sends 2026-12-31); a bad one says so."""

    data: Any  # a date once validated

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(self.gettext("Enter a day like 2026-12-31.")) from None
