"""Invoice jobs: the PDF is made by a worker, never inside a shopper's request."""

from __future__ import annotations

from qkart.invoices.services import issue_credit_note as _credit_note
from qkart.invoices.services import issue_invoice as _invoice


def issue_invoice(order_id: int) -> None:
    _invoice(order_id)


def issue_credit_note(refund_id: int) -> None:
    _credit_note(refund_id)
