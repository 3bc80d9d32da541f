"""Back-in-stock e-mails: one batch of a product's waiting alerts per job run."""

from __future__ import annotations

from flask import current_app

from qkart.catalog.models import Product
from qkart.extensions import db, queue
from qkart.notifications.services import send_once
from qkart.settings.services import setting
from qkart.stock_alerts import services as stock_alerts


def _link(path: str) -> str:
    return current_app.config["QKART_BASE_URL"].rstrip("/") + path


def send_back_in_stock(product_id: int) -> int:
    """Claim a batch of the product's pending alerts and e-mail each; returns how many.

    Claims and e-mails commit with the job: a failed send rolls the batch back to
    pending and RQ retries it. A full batch queues the next one in the same commit.
    A product retired, unpublished or sold out again by now sends nothing.
    """
    product = db.session.get(Product, product_id)
    if product is None or not stock_alerts.sendable(product):
        return 0
    alerts, more = stock_alerts.claim_batch(product_id)
    link = _link(f"/products/{product.slug}")
    sent = 0
    for alert in alerts:
        to = stock_alerts.recipient(alert)
        if to is None:
            continue
        stop = _link(f"/stock-alerts/cancel/{stock_alerts.cancel_token(alert)}")
        sent += send_once(
            f"stock-alert:{alert.id}",
            to,
            f"{product.name} is back in stock at {setting('QKART_SHOP_NAME')}",
            "back_in_stock",
            product=product,
            link=link,
            cancel=stop,
            headers={
                "List-Unsubscribe": f"<{stop}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
    if more:
        queue.after_commit(db.session, "stock_alerts.send_back_in_stock", product_id)
    return sent
