"""Shared fixtures: the app on SQLite or PostgreSQL, a client, factories, helpers.

``QKART_TEST_DB=postgres`` (with ``TEST_DATABASE_URL``) runs the same suite on
PostgreSQL. The schema is made by the Alembic migrations, once per run; each
test then starts from empty tables. Functional tests make requests without an
app context of their own, so every request gets a fresh session, as in production.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from flask import Flask, template_rendered
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from qkart import MIGRATIONS_DIR, create_app
from qkart.analytics import services as analytics_services
from qkart.extensions import db as _db

PASSWORD = "correct-horse-9"
_seq = count(1)


def _postgres_url() -> str:
    url = os.environ.get(
        "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/qkart_test"
    )
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}
            )
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    except Exception as error:  # a missing service fails the run, never skips it
        pytest.exit(f"PostgreSQL at {target.host}:{target.port} is not reachable: {error}", 2)
    finally:
        admin.dispose()
    return url


def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if os.environ.get("QKART_TEST_DB") == "postgres":
        return _postgres_url()
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'qkart-test.db'}"


def test_config(url: str, tmp_dir: str) -> dict[str, Any]:
    # Enough connections for the concurrency tests' 20 simultaneous shoppers.
    engine_options = {"pool_size": 25, "max_overflow": 5} if url.startswith("postgresql") else {}
    return {
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, **engine_options},
        "TESTING": True,
        "QKART_ENV": "testing",
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "REDIS_URL": None,
        "MAIL_SERVER": None,
        "QKART_OUTBOX": os.path.join(tmp_dir, "outbox"),
        "QKART_CURRENCY": "USD",
        "QKART_LOCALE": "en_US",
        "QKART_WELCOME_CREDIT": Decimal("5000.00"),
        "QKART_SHIPPING_FEE": Decimal("5.00"),
        "QKART_FREE_SHIPPING_OVER": Decimal("100.00"),
        "QKART_BASE_URL": "http://127.0.0.1:5000",
        "QKART_ANALYTICS_FLUSH_SECONDS": 0,  # each request's events written at once
    }


def _reset_schema(app: Flask) -> None:
    """Drop whatever a previous run left and build the schema from the migrations."""
    with app.app_context():
        engine = _db.engine
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            _db.drop_all()
            with engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(directory=str(MIGRATIONS_DIR))


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    url = database_url(tmp_path_factory)
    instance = str(tmp_path_factory.mktemp("instance"))
    app = create_app(test_config(url, instance), instance_path=instance)
    _reset_schema(app)
    _empty_tables(app)
    yield app
    with app.app_context():
        _db.engine.dispose()


def _empty_tables(app: Flask) -> None:
    with app.app_context():
        tables = [t.name for t in _db.metadata.sorted_tables]
        with _db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for name in reversed(tables):
                    conn.execute(text(f"DELETE FROM {name}"))
        _baseline(app)
        app.extensions.pop("qkart_settings", None)  # cached staff settings: gone with the rows
        app.extensions.pop("qkart_free_shipping", None)
        app.extensions.pop("qkart_delivery_days", None)
        app.extensions.pop("qkart_search_vocabulary", None)
        app.extensions.pop("qkart_catalog_cache", None)  # emptied tables move no generation
        app.extensions.pop("qkart_fragments", None)


def _baseline(app: Flask) -> None:
    """What a freshly migrated database holds: the one default delivery method."""
    from qkart.shipping.models import ShippingMethod, ShippingRate

    with app.app_context():
        method = ShippingMethod(
            code="standard",
            name="Standard delivery",
            kind="delivery",
            basis="value",
            min_days=3,
            max_days=5,
            free_over=10_000,
            position=1,
            rates=[ShippingRate(country="", from_amount=0, price=500)],
        )
        _db.session.add(method)
        _db.session.commit()


@pytest.fixture(autouse=True)
def _clean(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    # Events a test's app gathered and did not write belong to its database, which is
    # going away: a timer or atexit must not write them into the next test's (or none).
    analytics_services._pending.take()
    if "app" in request.fixturenames:
        _empty_tables(request.getfixturevalue("app"))


@pytest.fixture
def make_app(app: Flask) -> Iterator[Callable[..., Flask]]:
    """Another app on the same database with some settings changed (CSRF on, say)."""
    made: list[Flask] = []

    def _make(**overrides: Any) -> Flask:
        config = {**app.config, "SQLALCHEMY_ENGINE_OPTIONS": {}, **overrides}
        other = create_app(config, instance_path=app.instance_path)
        made.append(other)
        return other

    yield _make
    for other in made:
        with other.app_context():
            _db.engine.dispose()
        rq_queue = other.extensions.get("qkart_rq_queue")
        if rq_queue is not None:  # the app's Redis connection: closed, not left to the GC
            rq_queue.connection.close()
    if made:
        # The limiter is one object per process: put it back as the main app had it,
        # with empty counters, so ids reused by the next test start with a clean slate.
        from qkart.extensions import limiter

        if getattr(limiter, "_storage", None) is not None:  # none when never enabled
            limiter.reset()
        limiter.enabled = app.config["RATELIMIT_ENABLED"]


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    """An app context for tests that call services directly (integration tests)."""
    with app.app_context():
        yield app
        _db.session.rollback()


@pytest.fixture
def db(ctx: Flask) -> Any:
    return _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# -- factories ---------------------------------------------------------------------


@dataclass
class Factory:
    """Makes rows in their own app context and returns detached, loaded objects."""

    app: Flask
    made: dict[str, Any] = field(default_factory=dict)

    @contextmanager
    def _session(self) -> Iterator[Any]:
        with self.app.app_context():
            yield _db.session

    def _save(self, obj: Any) -> Any:
        with self._session() as session:
            session.add(obj)
            session.commit()
            session.refresh(obj)
            session.expunge(obj)
        return obj

    def category(self, name: str | None = None) -> Any:
        from qkart.catalog.models import Category

        n = next(_seq)
        name = name or f"Category {n}"
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        return self._save(Category(name=name, slug=slug, position=n))

    def product(
        self,
        name: str | None = None,
        *,
        price: int = 1000,
        stock: int = 10,
        category: Any = None,
        rating: str = "4.0",
        is_active: bool = True,
        featured: bool = False,
        brand: str = "",
    ) -> Any:
        from qkart.catalog.models import Product

        n = next(_seq)
        category = category or self.made.get("category") or self.category("General")
        self.made["category"] = category
        name = name or f"Product {n}"
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + f"-{n}"
        return self._save(
            Product(
                sku=f"T-{n:05d}",
                slug=slug,
                name=name,
                description=f"A fine {name}.",
                category_id=category.id,
                price=price,
                rating=Decimal(rating),
                rating_count=3,
                stock=stock,
                image="img/categories/generic.svg",
                is_active=is_active,
                featured=featured,
                brand=brand,
            )
        )

    def user(
        self,
        email: str | None = None,
        *,
        name: str = "Sam Shopper",
        password: str = PASSWORD,
        wallet: int = 0,
        role: str = "customer",
        verified: bool = True,
    ) -> Any:
        from qkart.accounts.services import register_user
        from qkart.core.db import utcnow
        from qkart.core.money import Money
        from qkart.payments.wallet import credit_wallet

        email = email or f"shopper{next(_seq)}@example.com"
        with self._session() as session:
            user = register_user(name, email, password, role=role)
            if verified:
                user.email_verified_at = utcnow()
            if wallet:
                credit_wallet(
                    user.id, Money(wallet, "USD"), kind="adjustment", description="Test credit"
                )
            session.commit()
            session.refresh(user)
            session.expunge(user)
        return user

    def address(self, user: Any, **overrides: str) -> Any:
        from qkart.accounts.addresses import add_address

        fields = {
            "full_name": user.name,
            "line1": "1 Test Street",
            "line2": "",
            "city": "Testville",
            "region": "",
            "postal_code": "12345",
            "country": "US",
            "phone": "",
        }
        fields.update(overrides)
        with self._session() as session:
            address = add_address(user.id, fields)
            session.commit()
            session.refresh(address)
            session.expunge(address)
        return address

    def cart_item(self, user: Any, product: Any, quantity: int = 1) -> None:
        from qkart.cart.services import CartOwner, add_item

        with self._session() as session:
            add_item(CartOwner(user_id=user.id), product.id, quantity)
            session.commit()


@pytest.fixture
def factory(app: Flask) -> Factory:
    return Factory(app)


def wallet_of(app: Flask, user_id: int) -> int:
    """A shopper's wallet balance in minor units, read fresh from the database."""
    from qkart.payments.wallet import balance

    with app.app_context():
        return balance(user_id).amount


def shopper_of(user: Any) -> Any:
    """The checkout's view of a signed-in user (for service-level checkout tests)."""
    from qkart.cart.services import CartOwner
    from qkart.checkout.steps import Shopper

    return Shopper(CartOwner(user_id=user.id), user_id=user.id, email=user.email)


# -- HTTP helpers -------

US_ADDRESS = {
    "full_name": "Gus Guest",
    "line1": "9 Elm Street",
    "line2": "",
    "city": "Springfield",
    "region": "IL",
    "postal_code": "62704",
    "country": "US",
    "phone": "",
}


def review_form(page: str) -> dict[str, str]:
    """The hidden fields of the checkout's place-order form, as a browser sends them."""
    form = page[page.index('id="place-order"') :]
    form = form[: form.index("</form>")]
    return dict(re.findall(r'name="([a-z_]+)"(?: type="hidden")? value="([^"]*)"', form))


def check_out(
    client: FlaskClient,
    *,
    method: str,
    email: str | None = "guest@example.com",
    address: dict[str, str] | None = None,
    use_wallet: bool = False,
) -> Any:
    """Walk the checkout steps with plain form posts (as without JavaScript) and place the
    order; returns the response to "Place order". The cart must hold something."""
    if email is not None:
        assert client.post("/checkout/contact", data={"email": email}).status_code == 303
    if address is not None or email is not None:
        response = client.post("/checkout/address", data=address or US_ADDRESS)
        assert response.status_code == 303, response.get_data(as_text=True)[:400]
    data = {"payment_method": method, **({"use_wallet": "y"} if use_wallet else {})}
    response = client.post("/checkout/payment", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    page = client.get("/checkout").get_data(as_text=True)
    return client.post("/checkout", data=review_form(page))


# -- more HTTP helpers ------------------------------------------------------------


def login(client: FlaskClient, user: Any, password: str = PASSWORD, **extra: str) -> Any:
    response = client.post("/login", data={"email": user.email, "password": password, **extra})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def logged_in(client: FlaskClient, factory: Factory) -> Callable[..., Any]:
    """Log ``client`` in as a new (or the given) shopper; returns the user."""

    def _login(user: Any = None, **user_kwargs: Any) -> Any:
        user = user or factory.user(**user_kwargs)
        login(client, user)
        return user

    return _login


def htmx(target: str, **headers: str) -> dict[str, str]:
    """Headers htmx sends for a request that swaps ``#target``."""
    return {"HX-Request": "true", "HX-Target": target, **headers}


@contextmanager
def drawn(app: Flask) -> Iterator[list[str]]:
    """The names of the templates rendered inside the block (none: a kept page)."""
    names: list[str] = []

    def note(sender: Flask, template: Any, context: Any, **extra: Any) -> None:
        names.append(template.name)

    template_rendered.connect(note, app)
    try:
        yield names
    finally:
        template_rendered.disconnect(note, app)


@contextmanager
def count_queries(app: Flask) -> Iterator[list[str]]:
    """Collect the SQL statements run inside the block (to catch N+1 queries).

    The shop settings, the free-shipping threshold and the delivery days are read once
    per process every minute or so; they are loaded first, so a count is that of a page
    in steady state.
    """
    from datetime import date

    from qkart.settings.services import current
    from qkart.shipping.services import delivery_estimates, free_shipping_threshold

    statements: list[str] = []
    with app.app_context():
        engine = _db.engine
        current()
        free_shipping_threshold()
        delivery_estimates(date.today())

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


# -- e-mail ---------------------------------------------------------------------------


class Outbox:
    """The messages the app wrote to its outbox folder (no MAIL_SERVER in tests)."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def clear(self) -> None:
        if os.path.isdir(self.folder):
            for name in os.listdir(self.folder):
                os.remove(os.path.join(self.folder, name))

    def messages(self, to: str | None = None) -> list[Any]:
        import email
        from email import policy

        if not os.path.isdir(self.folder):
            return []
        found = []
        for name in sorted(os.listdir(self.folder)):
            with open(os.path.join(self.folder, name), "rb") as handle:
                message = email.message_from_binary_file(handle, policy=policy.default)
            if to is None or message["To"] == to:
                found.append(message)
        return found

    def link(self, to: str, path_prefix: str) -> str:
        """The path of the newest link to ``path_prefix`` sent to ``to``."""
        return find_link(self.messages(to)[-1], path_prefix)


def find_link(message: Any, path_prefix: str) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"[^\s]*)", text)
    assert match, f"no {path_prefix} link in: {text}"
    return match.group(1)


@pytest.fixture
def outbox(app: Flask) -> Iterator[Outbox]:
    box = Outbox(app.config["QKART_OUTBOX"])
    box.clear()
    yield box
    box.clear()
