"""E-mail through real parts: Redis, an RQ worker process, an SMTP server on loopback.

The web app queues a job after its commit; a real `rq worker --burst` process
builds the message and sends it over SMTP to aiosmtpd; the test reads the link
from the received message and follows it.
"""

from __future__ import annotations

import email
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from email import policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from redis import Redis
from rq import Queue
from sqlalchemy import select

from qkart.accounts.models import User
from qkart.extensions import db
from tests.conftest import PASSWORD, find_link, wallet_of

pytestmark = pytest.mark.services
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


class Inbox:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Any]:
        return [m for m in self.messages if m["To"] == address]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_conn() -> Any:
    conn = Redis.from_url(REDIS_URL)
    try:
        conn.ping()
    except Exception as error:
        conn.close()
        if os.environ.get("QKART_REQUIRE_SERVICES"):
            pytest.fail(f"Redis at {REDIS_URL} is required here and not reachable: {error}")
        pytest.skip(f"Redis at {REDIS_URL} is not running")
    yield conn
    conn.close()


@pytest.fixture
def smtp() -> Any:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
def worker_app(make_app, redis_conn, smtp) -> Any:
    """The shop with Redis and SMTP, plus a function that runs one burst RQ worker."""
    _, port = smtp
    queue_name = f"qkart-test-{uuid.uuid4().hex[:8]}"
    app = make_app(
        REDIS_URL=REDIS_URL,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        QKART_QUEUE=queue_name,
        QKART_JOB_RETRY_INTERVALS=[1, 1, 1],
    )

    def run_worker(mail_port: int = port) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": REDIS_URL,
            "QKART_QUEUE": queue_name,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(mail_port),
            "SECRET_KEY": app.config["SECRET_KEY"],
            "QKART_ENV": "testing",
            "QKART_BASE_URL": app.config["QKART_BASE_URL"],
        }
        rq = shutil.which("rq", path=os.path.dirname(sys.executable)) or "rq"
        return subprocess.run(
            # As the Procfile runs it: the scheduler re-queues jobs waiting for a retry.
            [rq, "worker", "--burst", "--with-scheduler", "--url", REDIS_URL, queue_name],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    yield app, run_worker, Queue(queue_name, connection=redis_conn)
    Queue(queue_name, connection=redis_conn).delete(delete_jobs=True)


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
    result = run_worker(mail_port=_free_port())  # nothing listens there: SMTP is down
    assert result.returncode == 0
    job.refresh()
    assert job.get_status() == "scheduled"  # waiting for its retry, not lost
    assert job.retries_left == 2
    assert inbox.messages == []
    assert re.search(r"ConnectionRefusedError|Connection refused", result.stderr + result.stdout)
    # SMTP is back: once the retry interval has passed, the next worker run delivers.
    time.sleep(1.5)
    assert run_worker().returncode == 0
    job.refresh()
    assert job.get_status() == "finished"
    assert [m["Subject"] for m in inbox.to("otto@example.com")] == ["Confirm your e-mail address"]
