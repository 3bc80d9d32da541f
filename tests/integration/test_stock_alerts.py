"""Back-in-stock alerts on a real database: asking, claiming once, and every stock path
that brings a product back (staff, CSV import, cancelled order, received return)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from qkart.catalog import management
from qkart.catalog.models import Product
from qkart.core.events import subscribers
from qkart.extensions import db
from qkart.jobs.models import OutboxJob
from qkart.stock_alerts import services as alerts
from qkart.stock_alerts.errors import AlertEmailError, NotSoldOutError
from qkart.stock_alerts.models import StockAlert
from tests.support.orders import order_of


def _alerts(app, product_id=None):
    with app.app_context():
        stmt = select(StockAlert).order_by(StockAlert.id)
        if product_id is not None:
            stmt = stmt.where(StockAlert.product_id == product_id)
        rows = db.session.scalars(stmt).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def _ask(app, product, *, user=None, email=""):
    from qkart.accounts.models import User

    with app.app_context():
        fresh = db.session.get(Product, product.id)
        who = db.session.get(User, user.id) if user is not None else None
        done = alerts.subscribe(fresh, user=who, email=email)
        db.session.commit()
        return done.created


def _restock(app, product, delta=3):
    with app.app_context():
        fresh = db.session.get(Product, product.id)
        management.adjust_stock(fresh, delta, reason="received")
        db.session.commit()


@pytest.fixture
def sold_out(factory):
    return factory.product("Desk Lamp", stock=0, price=4_000)


# -- asking -------------------------------------------------------------------------


def test_a_visitor_and_a_shopper_ask_and_asking_twice_finds_the_first(app, factory, sold_out):
    shopper = factory.user("sam@example.com")
    assert _ask(app, sold_out, email="  Vera@Example.com ") is True
    assert _ask(app, sold_out, email="vera@example.com") is False  # same address: already set
    assert _ask(app, sold_out, user=shopper) is True
    assert _ask(app, sold_out, user=shopper) is False
    rows = _alerts(app)
    assert [(r.email, r.user_id, r.status) for r in rows] == [
        ("vera@example.com", None, "pending"),
        ("sam@example.com", shopper.id, "pending"),
    ]


@pytest.mark.parametrize("address", ["", "not-an-address", "a@", "x" * 300 + "@example.com"])
def test_a_bad_address_is_refused_and_nothing_is_written(app, sold_out, address):
    with pytest.raises(AlertEmailError) as refused:
        _ask(app, sold_out, email=address)
    assert refused.value.field == "email"
    assert _alerts(app) == []


def test_nothing_to_wait_for_in_stock_or_retired(app, factory):
    in_stock = factory.product("Chair", stock=4)
    retired = factory.product("Old Chair", stock=0, is_active=False)
    with pytest.raises(NotSoldOutError, match="in stock"):
        _ask(app, in_stock, email="a@example.com")
    with pytest.raises(NotSoldOutError, match="no longer sold"):
        _ask(app, retired, email="a@example.com")
    assert _alerts(app) == []


def test_a_sent_alert_lets_the_address_ask_again(app, sold_out, outbox):
    _ask(app, sold_out, email="vera@example.com")
    _restock(app, sold_out)
    with app.app_context():
        management.adjust_stock(db.session.get(Product, sold_out.id), -3, reason="damaged")
        db.session.commit()
    assert _ask(app, sold_out, email="vera@example.com") is True
    assert [r.status for r in _alerts(app)] == ["sent", "pending"]


# -- claiming -----------------------------------------------------------------------


def test_a_claim_takes_each_pending_alert_once(app, sold_out):
    for n in range(5):
        _ask(app, sold_out, email=f"w{n}@example.com")
    with app.app_context():
        first, more = alerts.claim_batch(sold_out.id, limit=3)
        assert [a.email for a in first] == ["w0@example.com", "w1@example.com", "w2@example.com"]
        assert more is True
        second, more = alerts.claim_batch(sold_out.id, limit=3)
        assert len(second) == 2 and more is False
        third, more = alerts.claim_batch(sold_out.id, limit=3)
        assert third == [] and more is False
        db.session.commit()
    assert {r.status for r in _alerts(app)} == {"sent"}
    assert all(r.sent_at is not None for r in _alerts(app))


def test_the_restock_event_has_a_subscriber():
    names = [h.__module__ for h in subscribers("product.back_in_stock")]
    assert "qkart.stock_alerts.subscribers" in names


# -- every stock path ---------------------------------------------------------------


def _job_names(app):
    with app.app_context():
        return db.session.scalars(select(OutboxJob.name).order_by(OutboxJob.id)).all()


def test_staff_adjustment_from_zero_emails_each_waiting_shopper_once(
    app, factory, sold_out, outbox
):
    shopper = factory.user("sam@example.com")
    _ask(app, sold_out, user=shopper)
    _ask(app, sold_out, email="vera@example.com")
    _restock(app, sold_out, 2)
    assert "stock_alerts.send_back_in_stock" in _job_names(app)
    assert sorted(m["To"] for m in outbox.messages()) == ["sam@example.com", "vera@example.com"]
    assert {r.status for r in _alerts(app)} == {"sent"}
    # More stock on top of some is no news: nobody hears twice.
    _restock(app, sold_out, 5)
    assert len(outbox.messages()) == 2


def test_a_restock_rolled_back_queues_nothing(app, sold_out, outbox):
    _ask(app, sold_out, email="vera@example.com")
    with app.app_context():
        management.adjust_stock(db.session.get(Product, sold_out.id), 3, reason="received")
        db.session.rollback()
    assert _job_names(app) == []
    assert outbox.messages() == []
    assert [r.status for r in _alerts(app)] == ["pending"]


def test_cancelled_order_putting_stock_back_sends_the_alerts(app, factory, sold_out, outbox):
    from qkart.orders.lifecycle import cancel_order
    from qkart.orders.models import Order

    buyer = factory.user()
    number = order_of(app, buyer, sold_out, status="placed")
    _ask(app, sold_out, email="vera@example.com")
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.number == number))
        cancel_order(order, actor="staff")
        db.session.commit()
    assert [m["To"] for m in outbox.messages("vera@example.com")] == ["vera@example.com"]


def test_a_received_resellable_return_sends_the_alerts(app, factory, sold_out, outbox):
    from qkart.orders.models import Order
    from qkart.returns import services as returns

    buyer = factory.user()
    number = order_of(app, buyer, sold_out, status="delivered")
    _ask(app, sold_out, email="vera@example.com")
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.number == number))
        line = order.lines[0]
        ret = returns.request_return(
            order, {line.id: 1}, reason="Too big", refund_to="wallet", user_id=buyer.id
        )
        returns.approve(ret, actor_id=None)
        db.session.commit()
        assert outbox.messages("vera@example.com") == []
        returns.receive(ret, resellable={ret.lines[0].id: True}, actor_id=None)
        db.session.commit()
    assert len(outbox.messages("vera@example.com")) == 1


def test_a_csv_import_bringing_stock_back_sends_the_alerts(app, sold_out, outbox):
    from qkart.catalog.csv_io import save_rows
    from qkart.catalog.models import ProductImport

    _ask(app, sold_out, email="vera@example.com")
    with app.app_context():
        product = db.session.get(Product, sold_out.id)
        upload = ProductImport(filename="stock.csv", data=b"", status="saving")
        db.session.add(upload)
        db.session.flush()
        row = {
            "sku": product.sku,
            "name": product.name,
            "price": product.price,
            "category_id": product.category_id,
            "stock": 7,
        }
        save_rows([row], upload.id, None)
        db.session.commit()
    assert len(outbox.messages("vera@example.com")) == 1


def test_a_retired_or_unpublished_product_sends_nothing(app, factory, outbox):
    for retire in (False, True):
        product = factory.product("Gone", stock=0)
        _ask(app, product, email="vera@example.com")
        with app.app_context():
            fresh = db.session.get(Product, product.id)
            management.bulk([fresh.id], "retire" if retire else "unpublish")
            fresh = db.session.get(Product, product.id)
            management.adjust_stock(fresh, 3, reason="received")
            db.session.commit()
    assert outbox.messages() == []
    assert {r.status for r in _alerts(app)} == {"pending"}


def test_many_waiting_are_sent_in_batches(app, sold_out, outbox, monkeypatch):
    monkeypatch.setattr(alerts, "BATCH", 2)
    for n in range(5):
        _ask(app, sold_out, email=f"w{n}@example.com")
    _restock(app, sold_out)
    assert len(outbox.messages()) == 5
    assert _job_names(app).count("stock_alerts.send_back_in_stock") == 3
    with app.app_context():
        pending = select(func.count()).where(StockAlert.status == "pending")
        assert db.session.scalar(pending) == 0


def test_a_closed_account_is_not_written_to(app, factory, sold_out, outbox):
    from qkart.accounts.models import User
    from qkart.core.db import utcnow

    shopper = factory.user("gone@example.com")
    _ask(app, sold_out, user=shopper)
    with app.app_context():
        db.session.get(User, shopper.id).deleted_at = utcnow()
        db.session.commit()
    _restock(app, sold_out)
    assert outbox.messages() == []


# -- PostgreSQL: two workers at once ------------------------------------------------


@pytest.mark.postgres
def test_two_concurrent_claims_send_each_alert_once(app, sold_out):
    """Two workers claim the same product's alerts at the same moment; each alert is
    claimed by exactly one of them (PostgreSQL row locks; SQLite serialises writers)."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row-lock concurrency needs PostgreSQL")
    for n in range(30):
        _ask(app, sold_out, email=f"w{n}@example.com")
    barrier = threading.Barrier(2)
    claimed: list[list[int]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                batch, _ = alerts.claim_batch(sold_out.id, limit=30)
                barrier.wait(timeout=10)  # both hold their claims before either commits
                claimed.append([a.id for a in batch])
                db.session.commit()
        except BaseException as error:  # reported by the test
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    ids = [i for batch in claimed for i in batch]
    assert len(ids) == 30 and len(set(ids)) == 30
    assert {r.status for r in _alerts(app)} == {"sent"}


@pytest.mark.postgres
def test_two_workers_sending_at_once_email_each_shopper_once(app, sold_out, outbox):
    from qkart.jobs.stock_alerts import send_back_in_stock

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row-lock concurrency needs PostgreSQL")
    for n in range(20):
        _ask(app, sold_out, email=f"w{n}@example.com")
    with app.app_context():  # stock back without the event: the two jobs race instead
        db.session.get(Product, sold_out.id).stock = 5
        db.session.commit()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                send_back_in_stock(sold_out.id)
                db.session.commit()
        except BaseException as error:  # reported by the test
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    recipients = [m["To"] for m in outbox.messages()]
    assert sorted(recipients) == sorted(f"w{n}@example.com" for n in range(20))


# -- through real parts: Redis, an RQ worker process, SMTP on loopback ---------------


@pytest.mark.services
def test_the_alert_goes_through_a_real_worker_and_smtp(worker_app, smtp, factory):
    from tests.conftest import find_link, login

    app, run_worker, queue = worker_app
    inbox, _ = smtp
    lamp = factory.product("Desk Lamp", stock=0, price=4_000)
    visitor = app.test_client()
    response = visitor.post("/stock-alerts", data={"product_id": lamp.id, "email": "v@example.com"})
    assert response.status_code == 303
    staff = app.test_client()
    login(staff, factory.user("cat@example.com", role="manager"))
    response = staff.post(
        f"/admin/products/{lamp.id}/stock", data={"delta": "3", "reason": "received", "note": ""}
    )
    assert response.status_code == 303
    assert inbox.messages == []  # nothing sent inside the request: queued after its commit
    assert queue.count == 1
    result = run_worker()
    assert result.returncode == 0, result.stderr
    [message] = inbox.to("v@example.com")
    assert message["Subject"] == "Desk Lamp is back in stock at QKart"
    assert message.get_body(preferencelist=("html",)) is not None
    assert f"/products/{lamp.slug}" in message.get_body(preferencelist=("plain",)).get_content()
    stop = find_link(message, "/stock-alerts/cancel/")
    assert visitor.get(stop).status_code == 200
    assert [r.status for r in _alerts(app)] == ["sent"]
