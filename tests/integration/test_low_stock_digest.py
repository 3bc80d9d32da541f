"""The daily low-stock e-mail: once a day, to the staff who keep stock, only when needed."""

from __future__ import annotations

from datetime import UTC, datetime

from qkart.catalog.digest import queue_low_stock_digest
from qkart.extensions import db

MORNING = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
NIGHT = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)


def _tick(app, when: datetime) -> int:
    with app.app_context():
        queued = queue_low_stock_digest(when)
        db.session.commit()
        return queued


def test_stock_keepers_get_one_digest_a_day(app, factory, outbox):
    factory.user("manager@example.com", role="manager")
    factory.user("owner@example.com", role="owner")
    factory.user("shopper@example.com")
    factory.product("Desk lamp", stock=2)
    factory.product("Plenty", stock=50)
    factory.product("Draft", stock=0, is_active=False)
    assert _tick(app, NIGHT) == 0  # before the digest hour
    assert outbox.messages() == []
    assert _tick(app, MORNING) == 2
    [mail] = outbox.messages("manager@example.com")
    assert mail["Subject"] == "1 product running low at QKart"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Desk lamp" in text and "2 left, warn at 5" in text
    assert "Plenty" not in text and "Draft" not in text
    assert "/admin/inventory" in text
    assert len(outbox.messages("owner@example.com")) == 1
    assert outbox.messages("shopper@example.com") == []
    assert _tick(app, MORNING.replace(hour=15)) == 0  # the day is done
    assert len(outbox.messages()) == 2


def test_nothing_running_low_sends_nothing(app, factory, outbox):
    factory.user("manager@example.com", role="manager")
    factory.product("Plenty", stock=50)
    assert _tick(app, MORNING) == 0
    assert outbox.messages() == []
