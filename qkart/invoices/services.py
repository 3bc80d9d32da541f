"""Numbering and making invoices and credit notes (PDF by WeasyPrint from an HTML template).

``issue_invoice`` is idempotent (one invoice per order) and ``issue_credit_note``
(one per refund): a retried job finds the document it made. Numbers come from
``DocumentCounter`` in the same transaction, so they run without gaps per year
whatever happens concurrently.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from flask import current_app, render_template
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from qkart.core.db import utcnow
from qkart.extensions import db
from qkart.invoices.models import DocumentCounter, Invoice
from qkart.orders.models import Order
from qkart.payments.models import Payment, Refund
from qkart.settings.services import setting

log = logging.getLogger(__name__)

PREFIXES = {"invoice": "INV", "credit_note": "CN"}


def next_number(kind: str, year: int) -> str:
    """The next number of ``kind`` this year ("INV-2026-000042"), taken with a row lock."""
    taken = db.session.execute(
        update(DocumentCounter)
        .where(DocumentCounter.kind == kind, DocumentCounter.year == year)
        .values(last=DocumentCounter.last + 1)
        .returning(DocumentCounter.last)
    ).scalar_one_or_none()
    if taken is None:
        try:
            with db.session.begin_nested():
                db.session.add(DocumentCounter(kind=kind, year=year, last=0))
        except IntegrityError:
            pass  # another transaction made this year's counter first: use it
        return next_number(kind, year)
    return f"{PREFIXES[kind]}-{year}-{taken:06d}"


def render_pdf(html: str) -> bytes:
    """A PDF of ``html`` (print CSS included); WeasyPrint is imported only when needed."""
    from weasyprint import HTML

    return HTML(string=html, base_url=current_app.static_folder).write_pdf()


def _document_html(order: Order, document: Invoice, refunds: Sequence[Refund] = ()) -> str:
    config = current_app.config
    return render_template(
        "invoices/document.html",
        order=order,
        document=document,
        refunds=refunds,
        shop_name=setting("QKART_SHOP_NAME"),
        shop_email=config["MAIL_FROM"],
    )


def _issue(
    order: Order, kind: str, amount: int, refund_id: int | None, refunds: Sequence[Refund]
) -> Invoice:
    """Number, render and store one document, in the caller's transaction."""
    document = Invoice(
        order_id=order.id,
        kind=kind,
        created_at=utcnow(),
        number=next_number(kind, utcnow().year),
        amount=amount,
        currency=order.currency,
        refund_id=refund_id,
        pdf=b"",
    )
    document.pdf = render_pdf(_document_html(order, document, refunds))
    db.session.add(document)
    db.session.flush()
    return document


def find_invoice(order_id: int) -> Invoice | None:
    return db.session.scalar(
        select(Invoice).where(Invoice.order_id == order_id, Invoice.kind == "invoice")
    )


def issue_invoice(order_id: int) -> Invoice | None:
    """The order's invoice, made now if it has none (once the order is paid)."""
    order = db.session.get(Order, order_id)
    if order is None:
        return None
    existing = find_invoice(order_id)
    if existing is not None:
        return existing
    document = _issue(order, "invoice", order.total, None, [])
    log.info("invoice %s for order %s", document.number, order.number)
    return document


def issue_credit_note(refund_id: int) -> Invoice | None:
    """The credit note of one refund (idempotent)."""
    refund = db.session.get(Refund, refund_id)
    if refund is None or refund.status != "succeeded":
        return None
    existing = db.session.scalar(select(Invoice).where(Invoice.refund_id == refund_id))
    if existing is not None:
        return existing
    payment = db.session.get(Payment, refund.payment_id)
    order = db.session.get(Order, payment.order_id) if payment and payment.order_id else None
    if order is None:
        return None
    document = _issue(order, "credit_note", refund.amount, refund.id, [refund])
    return document


def documents_of(order_id: int) -> Sequence[Invoice]:
    return db.session.scalars(
        select(Invoice).where(Invoice.order_id == order_id).order_by(Invoice.id)
    ).all()


def get_document(order_id: int, document_id: int) -> Invoice | None:
    document = db.session.get(Invoice, document_id)
    return document if document is not None and document.order_id == order_id else None
