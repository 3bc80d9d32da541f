"""The job outbox: Redis down at commit never breaks a committed request or loses its e-mail.

A real Redis server of the test's own (on a free port) is stopped while a shopper
registers and checks out, then started again; the sweep sends what waited in the
outbox and a real RQ worker delivers the e-mails to an SMTP server on loopback.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from datetime import timedelta
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import select, update

from qkart.core.db import utcnow
from qkart.extensions import db
from qkart.jobs.maintenance import chores, run_chores, sweep_outbox
from qkart.jobs.models import OutboxJob
from qkart.jobs.runner import MAX_ATTEMPTS, execute
from tests.conftest import PASSWORD, check_out, login
from tests.integration.conftest import _worker_app, free_port

pytestmark = pytest.mark.services


class RedisServer:
    """A redis-server process of this test's own, that can be stopped and started again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (apt-get install -y redis-server)")
        self.process = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with Redis.from_url(self.url, socket_connect_timeout=0.5) as conn:
                    conn.ping()
                return
            except Exception:
                time.sleep(0.05)  # waiting for the server this test started
        pytest.fail("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def own_redis() -> Any:
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def shop(make_app, own_redis, smtp) -> Any:
    with Redis.from_url(own_redis.url) as conn:
        yield from _worker_app(make_app, conn, smtp, own_redis.url)


def _open_jobs(app) -> list[OutboxJob]:
    with app.app_context():
        jobs = db.session.scalars(select(OutboxJob).where(OutboxJob.done_at.is_(None))).all()
        db.session.expunge_all()
        return list(jobs)


def test_redis_down_at_commit_answers_normally_and_delivers_later(shop, own_redis, smtp, factory):
    app, run_worker, _ = shop
    inbox, _ = smtp
    client = app.test_client()
    own_redis.stop()

    data = {"name": "Rosa Redis", "email": "rosa@example.com", "password": PASSWORD}
    response = client.post("/register", data={**data, "confirm_password": PASSWORD})
    assert response.status_code == 303  # the account exists; the e-mail waits
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Welcome to QKart, Rosa!" in page

    buyer = factory.user("buyer@example.com", wallet=100_000)
    factory.address(buyer)
    factory.cart_item(buyer, factory.product(price=2000, stock=3), 1)
    other = app.test_client()
    login(other, buyer)
    placed = check_out(other, method="wallet", email=None)
    assert placed.status_code == 303 and "placed=1" in placed.headers["Location"]
    assert other.get(placed.headers["Location"]).status_code == 200

    waiting = _open_jobs(app)
    assert sorted(j.name for j in waiting) == [
        "mail.send_order_confirmation",
        "mail.send_verification_email",
    ]
    assert all(j.enqueued_at is None for j in waiting)

    own_redis.start()
    with app.app_context():
        assert sweep_outbox() == 0  # too fresh: they may still be on their way
        db.session.execute(update(OutboxJob).values(created_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
        assert sweep_outbox() == 2
    result = run_worker()
    assert result.returncode == 0, result.stderr
    subjects = sorted(m["Subject"] for m in inbox.messages)
    assert subjects[0] == "Confirm your e-mail address" and "order QK-" in subjects[1]
    assert _open_jobs(app) == []
    # Sent again by a second sweep (a lost acknowledgement): done jobs do not run twice.
    with app.app_context():
        assert sweep_outbox() == 0
        [job] = db.session.scalars(
            select(OutboxJob).where(OutboxJob.name == "mail.send_verification_email")
        ).all()
        assert execute(job.id) is False
    assert len(inbox.messages) == 2


def test_a_job_that_keeps_failing_is_given_up_after_its_attempts(app, monkeypatch):
    import qkart.jobs.mail

    def broken(order_id: int) -> None:
        raise ConnectionRefusedError("smtp is down")

    monkeypatch.setattr(qkart.jobs.mail, "send_order_confirmation", broken)
    with app.app_context():
        job = OutboxJob(name="mail.send_order_confirmation", args=[1])
        db.session.add(job)
        db.session.commit()
        for _ in range(MAX_ATTEMPTS):
            with pytest.raises(ConnectionRefusedError):
                execute(job.id)
        db.session.refresh(job)
        assert job.failed_at is not None and job.attempts == MAX_ATTEMPTS
        assert job.last_error == "ConnectionRefusedError: smtp is down"
        assert execute(job.id) is False  # given up: never run again
        results = run_chores()
        assert set(results) == {chore.__name__ for chore in chores()}
