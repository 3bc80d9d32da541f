"""Back-in-stock alerts react to the catalogue: a restocked product e-mails its waiters."""

from __future__ import annotations

from qkart.core.events import subscribe
from qkart.extensions import db, queue
from qkart.stock_alerts.services import has_waiting


@subscribe("product.back_in_stock")
def send_alerts(product_id: int) -> None:
    """Queue the e-mails in the restock's own transaction (the outbox row commits with
    it; a rolled-back stock change sends nothing). The job checks the product again."""
    if has_waiting(product_id):
        queue.after_commit(db.session, "stock_alerts.send_back_in_stock", product_id)
