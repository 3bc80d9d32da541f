"""Fixtures for tests with real parts: Redis, RQ worker processes, SMTP on loopback."""

from __future__ import annotations

import email
import os
import shutil
import socket
import subprocess
import sys
import uuid
from email import policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from redis import Redis
from rq import Queue

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


def free_port() -> int:
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
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
def worker_app(make_app, redis_conn, smtp) -> Any:
    """The shop with Redis and SMTP, plus a function that runs one burst RQ worker."""
    yield from _worker_app(make_app, redis_conn, smtp, REDIS_URL)


def _worker_app(make_app: Any, redis_conn: Any, smtp: Any, redis_url: str) -> Any:
    _, port = smtp
    queue_name = f"qkart-test-{uuid.uuid4().hex[:8]}"
    app = make_app(
        REDIS_URL=redis_url,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        QKART_QUEUE=queue_name,
        QKART_JOB_RETRY_INTERVALS=[1, 1, 1],
    )

    def run_worker(mail_port: int = port) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": redis_url,
            "QKART_QUEUE": queue_name,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(mail_port),
            "SECRET_KEY": app.config["SECRET_KEY"],
            "QKART_ENV": "testing",
            "QKART_BASE_URL": app.config["QKART_BASE_URL"],
        }
        rq = shutil.which("rq", path=os.path.dirname(sys.executable)) or "rq"
        return subprocess.run(
            # As the Procfile runs it: the scheduler re-queues jobs waiting for a retry, and
            # the worker class builds the app once, before jobs fork.
            [
                rq,
                "worker",
                "--burst",
                "--with-scheduler",
                "--worker-class",
                "qkart.jobs.worker.Worker",
                "--url",
                redis_url,
                queue_name,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    yield app, run_worker, Queue(queue_name, connection=redis_conn)
    Queue(queue_name, connection=redis_conn).delete(delete_jobs=True)
