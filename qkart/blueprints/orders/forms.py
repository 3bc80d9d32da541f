"""Order forms: cancel (a button only) and a return request."""

from __future__ import annotations

from typing import Any

from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, Length

from qkart.core.forms import Form, choices

REASONS = ("It arrived damaged", "It is not what I ordered", "It does not fit", "I changed my mind")


class CancelForm(Form):
    """Only the CSRF token: the button is the whole form."""


class ReturnForm(Form):
    reason = TextAreaField(
        "Why are you returning it?",
        validators=[
            DataRequired("Tell us why, so we can do better."),
            Length(max=500, message="Keep it under 500 characters."),
        ],
    )
    refund_to = RadioField(
        "Refund to",
        default="original",
        choices=choices([("original", "Where I paid from"), ("wallet", "My QKart wallet")]),
    )

    def quantities(self, form_data: Any, line_ids: list[int]) -> dict[int, int] | None:
        """``qty-<line id>`` fields as {line id: units}; None if one is not a whole number.

        Line ids that are not in this order are kept, so the service refuses them by name.
        """
        wanted: dict[int, int] = {}
        for key, value in form_data.items():
            if not key.startswith("qty-"):
                continue
            raw_id, raw = key[4:], (value or "0").strip() or "0"
            if not (raw_id.isascii() and raw_id.isdigit() and len(raw_id) < 10):
                return None
            if not (raw.isascii() and raw.isdigit() and len(raw) < 4):
                return None
            wanted[int(raw_id)] = int(raw)
        return wanted
