"""Real-browser tests: Debian's Chromium (through pytest-playwright) against gunicorn.

A session fixture makes a fresh SQLite database with the project's own commands
(``flask db upgrade`` and ``flask seed``), serves it with gunicorn on a free port of
127.0.0.1 and stops it at the end. Card payments are on: the server talks to a local
stand-in for Stripe (``tests/support/stripe_stub.py``), started before gunicorn, whose
hosted payment page sends the signed webhook back to the server. Shoppers are made
straight in that database with the app's services, one per journey, so tests do not
depend on each other.

Every test here carries the ``browser`` marker (the PostgreSQL pass deselects it).
A failing test leaves a screenshot and the HTML of each open page in
``reports/browser/``, named after the test.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser
from playwright.sync_api import Error as PlaywrightError

from tests.support.stripe_stub import StripeStub

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
REPORTS = ROOT / "reports" / "browser"
SECRET_KEY = "browser-tests-secret-key"
PASSWORD = "browser-pass-2026"
STRIPE_SECRET_KEY = "sk_test_qkart_browser"
STRIPE_WEBHOOK_SECRET = "whsec_qkart_browser"
SERVER_START_TIMEOUT = 30.0
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
_seq = count(1)


@pytest.hookimpl(tryfirst=True)  # before -m "not browser" deselects
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


# -- the browser ------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium", False)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any], base_url: str) -> dict[str, Any]:
    # The app's strict CSP would block injecting axe-core; nothing else depends on it.
    return {**browser_context_args, "base_url": base_url, "bypass_csp": True}


# -- the server -------------------------------------------------------------------


@dataclass(frozen=True)
class LiveServer:
    url: str
    database_url: str
    outbox: Path
    log: Path
    stripe: StripeStub
    instance: Path

    def log_tail(self, lines: int = 60) -> str:
        """The server's last lines, without the noise of static files."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        kept = [line for line in text.splitlines() if '"GET /static/' not in line]
        return "\n".join(kept[-lines:])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Settings of the developer's shell that would change what the tests expect.
_DROPPED_ENV = ("QKART_", "MAIL_", "STRIPE_", "REDIS_URL", "DATABASE_URL", "SECRET_KEY")


def _server_env(database_url: str, outbox: Path, stripe_url: str, instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_ENV)}
    env.update(
        DATABASE_URL=database_url,
        QKART_INSTANCE_PATH=str(instance),  # its cache version files: shop_app's too
        # Every browser of the suite comes from 127.0.0.1, far faster than a shopper: the
        # per-address budgets would refuse the suite itself (their tests are functional).
        QKART_POST_LIMIT="6000 per minute",
        QKART_VITALS_LIMIT="6000 per minute",
        QKART_ANALYTICS_FLUSH_SECONDS="0",  # journeys read their events back at once
        SECRET_KEY=SECRET_KEY,
        QKART_OUTBOX=str(outbox),
        FLASK_APP="wsgi",
        PYTHONUNBUFFERED="1",
        # Card payments through the stand-in; without Redis the webhook is processed inline.
        STRIPE_SECRET_KEY=STRIPE_SECRET_KEY,
        STRIPE_WEBHOOK_SECRET=STRIPE_WEBHOOK_SECRET,
        STRIPE_API_BASE=stripe_url,
    )
    return env


def _run_cli(args: list[str], env: dict[str, str], log: Path) -> None:
    with log.open("a") as out:
        done = subprocess.run(
            [str(VENV_BIN / "flask"), "--app", "wsgi", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=120,
            check=False,
        )
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        pytest.fail(f"`flask {' '.join(args)}` failed ({done.returncode}):\n{tail}", False)


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)  # polling the server that is starting, nothing else
    tail = log.read_text(errors="replace")[-3000:]
    pytest.fail(f"gunicorn did not answer {url}/healthz:\n{tail}", False)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture(scope="session")
def stripe_stub() -> Iterator[StripeStub]:
    """The local stand-in for Stripe's API and hosted payment page, for the whole run."""
    stub = StripeStub()
    stub.api_key = STRIPE_SECRET_KEY  # the server must send exactly the key it was given
    stub.start()
    try:
        yield stub
    finally:
        stub.stop()


@pytest.fixture(scope="session")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, stripe_stub: StripeStub
) -> Iterator[LiveServer]:
    """gunicorn (2 workers) serving a freshly migrated and seeded SQLite shop."""
    tmp = tmp_path_factory.mktemp("browser-shop")
    database_url = f"sqlite:///{tmp / 'qkart.db'}"
    outbox = tmp / "outbox"
    log = tmp / "server.log"
    instance = tmp / "instance"
    env = _server_env(database_url, outbox, stripe_stub.url, instance)
    _run_cli(["db", "upgrade"], env, log)
    _run_cli(["seed"], env, log)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    # Pressing "Pay" on the stand-in's page sends the signed webhook here, then returns.
    stripe_stub.webhook_url = f"{url}/webhooks/stripe"
    stripe_stub.webhook_secret = STRIPE_WEBHOOK_SECRET
    with log.open("a") as out:
        process = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "wsgi:app",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--access-logfile",
                "-",
                "--graceful-timeout",
                "5",
                "--no-control-socket",  # never clash with another gunicorn on this machine
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(url, process, log)
        yield LiveServer(
            url=url,
            database_url=database_url,
            outbox=outbox,
            log=log,
            stripe=stripe_stub,
            instance=instance,
        )
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    return live_server.url


# -- data made straight in the server's database -----------------------------------


@dataclass(frozen=True)
class Shopper:
    id: int
    name: str
    email: str
    password: str = PASSWORD

    @property
    def first_name(self) -> str:
        return self.name.split()[0]


@pytest.fixture(scope="session")
def shop_app(live_server: LiveServer) -> Iterator[Any]:
    """The app in this process, on the server's database (to make shoppers)."""
    from qkart import create_app
    from qkart.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": live_server.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {},
            "SECRET_KEY": SECRET_KEY,
            "QKART_OUTBOX": str(live_server.outbox),
            "REDIS_URL": None,
            "MAIL_SERVER": None,
            "QKART_ENV": "testing",
            "QKART_CURRENCY": "USD",
            "QKART_LOCALE": "en_US",
            "QKART_WELCOME_CREDIT": Decimal("5000.00"),
            "TESTING": True,
        },
        instance_path=str(live_server.instance),
    )
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def make_shopper(shop_app: Any) -> Callable[..., Shopper]:
    """A new, verified shopper with the welcome wallet and, optionally, a cart.

    Addresses are added through the pages, as shoppers do.
    """
    from qkart.accounts.services import mark_verified, register_user
    from qkart.cart.services import CartOwner, add_item
    from qkart.catalog.models import Product
    from qkart.extensions import db

    def _make(name: str = "Robin Browser", *, cart: dict[str, int] | None = None) -> Shopper:
        email = f"browser{next(_seq)}-{os.getpid()}@example.com"
        with shop_app.app_context():
            user = register_user(name, email, PASSWORD)
            mark_verified(user)  # the welcome credit comes with it
            for product_name, quantity in (cart or {}).items():
                product_id = db.session.scalar(
                    db.select(Product.id).where(Product.name == product_name)
                )
                assert product_id is not None, f"no product named {product_name!r}"
                add_item(CartOwner(user_id=user.id), product_id, quantity)
            db.session.commit()
            shopper = Shopper(id=user.id, name=user.name, email=user.email)
            db.session.remove()
        return shopper

    return _make


# -- artifacts of a failing test ----------------------------------------------------


def _artifact_name(item: pytest.Item) -> str:
    name = f"{Path(item.path).stem}.{item.name}".replace("[", "-").replace("]", "")
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:150]


def _old_artifacts(base: str) -> list[Path]:
    pattern = re.compile(rf"{re.escape(base)}(-\d+)?\.(png|html)")
    return [p for p in REPORTS.glob(f"{base}*") if pattern.fullmatch(p.name)]


def _save_artifacts(item: pytest.Item) -> list[str]:
    browser: Browser | None = getattr(item, "funcargs", {}).get("browser")
    if browser is None:
        return []
    REPORTS.mkdir(parents=True, exist_ok=True)
    base = _artifact_name(item)
    saved: list[str] = []
    pages = [page for context in browser.contexts for page in context.pages]
    for index, page in enumerate(pages, start=1):
        stem = REPORTS / (base if len(pages) == 1 else f"{base}-{index}")
        try:
            page.screenshot(path=f"{stem}.png", full_page=True, timeout=10_000)
            saved.append(f"{stem}.png")
        except PlaywrightError as error:
            saved.append(f"(no screenshot of {page.url}: {error.message.splitlines()[0]})")
        try:
            Path(f"{stem}.html").write_text(
                f"<!-- {page.url} -->\n{page.content()}", encoding="utf-8"
            )
            saved.append(f"{stem}.html")
        except PlaywrightError as error:
            saved.append(f"(no HTML of {page.url}: {error.message.splitlines()[0]})")
    return saved


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "setup":  # what an earlier run of this test left is no longer true
        for old in _old_artifacts(_artifact_name(item)):
            old.unlink()
    if report.when != "call" or not report.failed:
        return
    saved = _save_artifacts(item)
    if saved:
        report.sections.append(("browser artifacts", "\n".join(saved)))
    server: LiveServer | None = getattr(item, "funcargs", {}).get("live_server")
    if server is not None:
        report.sections.append(("server log (tail)", server.log_tail()))
        deliveries = server.stripe.deliveries[-5:]
        if deliveries:
            lines = [
                f"{d.event_type} {d.event_id} -> {d.status} {d.body[:200]}" for d in deliveries
            ]
            report.sections.append(("stripe stub webhooks (last 5)", "\n".join(lines)))
