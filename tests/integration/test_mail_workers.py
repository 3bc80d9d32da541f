"""E-mail through real parts: Redis, an RQ worker process, an SMTP server on loopback.

The web app queues a job after its commit; a real `rq worker --burst` process
builds the message and sends it over SMTP to aiosmtpd; the test reads the link
from the received message and follows it.
"""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from qkart.accounts.models import User
from qkart.extensions import db
from tests.conftest import PASSWORD, find_link, wallet_of
from tests.integration.conftest import free_port

pytestmark = pytest.mark.services


def test_registration_email_goes_through_a_real_worker(worker_app, smtp):
    app, run_worker, queue = worker_app
    inbox, _ = smtp
    client = app.test_client()
    data = {"name": "Rita Queue", "email": "rita@example.com", "password": PASSWORD}
    response = client.post("/register", data={**data, "confirm_password": PASSWORD})
    assert response.status_code == 303
    assert inbox.messages == []  # nothing sent inside the request
    assert queue.count == 1
    job = queue.jobs[0]
    assert job.retries_left == 3  # retried on SMTP failure

    result = run_worker()
    assert result.returncode == 0, result.stderr
    [message] = inbox.to("rita@example.com")
    assert message["Subject"] == "Confirm your e-mail address"
    assert message.get_body(preferencelist=("html",)) is not None
    response = client.get(find_link(message, "/verify-email/"))
    assert response.status_code == 200
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "rita@example.com"))
        assert user.is_verified and wallet_of(app, user.id) == 500_000


def test_password_reset_goes_through_a_real_worker(worker_app, smtp, factory):
    app, run_worker, _ = worker_app
    inbox, _ = smtp
    user = factory.user("reset-me@example.com")
    client = app.test_client()
    assert client.post("/forgot-password", data={"email": user.email}).status_code == 200
    assert run_worker().returncode == 0
    [message] = inbox.to(user.email)
    link = find_link(message, "/reset-password/")
    new = "another-pass-77"
    response = client.post(link, data={"password": new, "confirm_password": new})
    assert response.status_code == 303
    assert client.post("/login", data={"email": user.email, "password": new}).status_code == 303
    # The "password changed" notice is queued too and goes out on the next run.
    assert run_worker().returncode == 0
    assert [m["Subject"] for m in inbox.to(user.email)][-1] == "Your password was changed"


def test_smtp_failure_is_retried_with_back_off(worker_app, smtp):
    app, run_worker, queue = worker_app
    inbox, _ = smtp
    client = app.test_client()
    data = {"name": "Otto Outage", "email": "otto@example.com", "password": PASSWORD}
    client.post("/register", data={**data, "confirm_password": PASSWORD})
    job = queue.jobs[0]
    result = run_worker(mail_port=free_port())  # nothing listens there: SMTP is down
    assert result.returncode == 0
    job.refresh()
    # Waiting for its retry, not lost: scheduled, or already put back on the queue by the
    # worker's scheduler if the machine was slow enough for the interval to pass.
    assert job.get_status() in ("scheduled", "queued")
    assert job.retries_left == 2
    assert inbox.messages == []
    assert re.search(r"ConnectionRefusedError|Connection refused", result.stderr + result.stdout)
    # SMTP is back: once the retry interval has passed, the next worker run delivers.
    time.sleep(1.5)
    assert run_worker().returncode == 0
    job.refresh()
    assert job.get_status() == "finished"
    assert [m["Subject"] for m in inbox.to("otto@example.com")] == ["Confirm your e-mail address"]


def test_the_cart_reminder_runs_on_the_rq_scheduler(worker_app, smtp, factory):
    """As the Procfile's clock does: the tick is a scheduled RQ job; it finds the abandoned
    cart and queues the reminder, which the worker sends over SMTP; its link restores it."""
    from datetime import timedelta

    from sqlalchemy import update

    from qkart.cart.models import Cart
    from qkart.core.db import utcnow

    app, run_worker, queue = worker_app
    inbox, _ = smtp
    user = factory.user("kim@example.com", name="Kim Cart")
    factory.cart_item(user, factory.product("Green Teapot", price=2500, stock=5), 1)
    with app.app_context():
        db.session.execute(update(Cart).values(updated_at=utcnow() - timedelta(hours=3)))
        db.session.commit()
    queue.enqueue_in(timedelta(seconds=1), "qkart.jobs.maintenance.tick")
    time.sleep(1.5)
    result = run_worker()
    assert result.returncode == 0, result.stderr
    [message] = inbox.to("kim@example.com")
    assert message["Subject"] == "You left something in your cart"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    elsewhere = app.test_client()
    assert elsewhere.get(find_link(message, "/cart/restore/")).status_code == 303
    assert "Green Teapot" in elsewhere.get("/cart").get_data(as_text=True)
