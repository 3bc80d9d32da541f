"""Every hot query is served by an index: EXPLAIN over 100 000 products (PostgreSQL).

The pages shoppers and staff open most are requested for real, against a large shop
built in a database of its own; every statement they send is captured on its way to the
database and explained with its own parameters, so the test follows the code instead
of copies of its SQL. A sequential scan of a big table fails the test, with the
statement and its plan in the message.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url

from qkart import MIGRATIONS_DIR, create_app
from qkart.accounts.services import hash_password
from qkart.extensions import db as _db
from tests import conftest
from tests.conftest import PASSWORD

pytestmark = pytest.mark.postgres

PRODUCTS = 100_000
ACTIVE = PRODUCTS - PRODUCTS // 50  # every 50th product is a draft (or retired)
CUSTOMERS = 5_000
ORDERS = 20_000
# Tables that grow with the shop: a sequential scan of one of them is a page that gets
# slower every month. Categories, settings, shipping methods and the like stay small,
# and a scan is the right plan for them.
BIG_TABLES = frozenset(
    {
        "products",
        "users",
        "orders",
        "order_lines",
        "payments",
        "stock_movements",
        "analytics_events",
        "reviews",
        "questions",
        "answers",
        "carts",
        "cart_items",
        "product_recommendations",
        "recently_viewed",
        "wishlist_items",
    }
)

ADJECTIVES = ("Classic", "Compact", "Deluxe", "Eco", "Folding", "Heavy", "Mini", "Pro", "Smart")
ADJECTIVES += ("Vintage",)
KINDS = ("Lamp", "Chair", "Kettle", "Speaker", "Backpack", "Blender", "Clock", "Desk", "Mug")
KINDS += ("Headphones", "Jacket", "Notebook", "Pillow", "Router", "Scarf", "Shelf", "Sneakers")
KINDS += ("Tent", "Toaster", "Watch")


def _array(words: tuple[str, ...]) -> str:
    return "(ARRAY[" + ", ".join(f"'{w}'" for w in words) + "])"


# The shop, in SQL so 100 000 products take seconds: 12 departments of 4 aisles, 20 kinds
# of goods by 30 brands, prices, ratings, stock (every 9th sold out) spread evenly.
# The search vector comes from the migration's trigger, as for any other write.
BUILD = [
    """
    INSERT INTO categories (name, slug, position, parent_id, description, attribute_names)
    SELECT 'Department ' || d, 'department-' || d, d, NULL, '', ''
    FROM generate_series(1, 12) AS d
    """,
    """
    INSERT INTO categories (name, slug, position, parent_id, description, attribute_names)
    SELECT 'Aisle ' || d || '-' || s, 'aisle-' || d || '-' || s, 100 + a, d, '', ''
    FROM generate_series(0, 47) AS a, LATERAL (SELECT a / 4 + 1 AS d, a % 4 + 1 AS s) AS place
    ORDER BY a
    """,
    f"""
    INSERT INTO products (sku, slug, name, description, category_id, price, rating,
        rating_count, stock, sold_count, image, featured, is_active, retired_at, created_at,
        weight_grams, tax_class, brand, attributes, seo_title, seo_description)
    SELECT 'EXP-' || lpad(n::text, 6, '0'), 'product-' || n,
        {_array(ADJECTIVES)}[1 + n % 10] || ' ' || {_array(KINDS)}[1 + (n / 10) % 20]
        || ' ' || n,
        'A dependable piece from our range, number ' || n || '. Made to last.',
        13 + n % 48, 199 + (n * 7919) % 99800, ((n * 31) % 41 + 10) / 10.0, (n * 13) % 500,
        CASE WHEN n % 9 = 0 THEN 0 ELSE (n * 17) % 60 + 1 END, (n * 7) % 5000,
        'img/categories/generic.svg', n % 97 = 0, n % 50 <> 0,
        CASE WHEN n % 200 = 0 THEN now() END, now() - n * interval '1 minute',
        500, 'standard', 'Brand ' || (n % 30), '{{}}', '', ''
    FROM generate_series(1, {PRODUCTS}) AS n
    """,
    # User 1 is an admin; the others are customers, all with the test password.
    f"""
    INSERT INTO users (email, name, password_hash, role, session_version, email_verified_at,
        created_at)
    SELECT 'user' || n || '@example.com', 'User ' || n, :password_hash,
        CASE WHEN n = 1 THEN 'admin' ELSE 'customer' END, 1, now(), now() - n * interval '1 hour'
    FROM generate_series(1, {CUSTOMERS + 1}) AS n
    """,
    f"""
    INSERT INTO orders (number, user_id, status, currency, subtotal, shipping, total,
        payment_method, shipping_address, contact_email, idempotency_key, created_at, updated_at)
    SELECT 'QK-' || lpad(n::text, 8, '0'), 2 + n % {CUSTOMERS},
        (ARRAY['placed', 'paid', 'shipped', 'delivered', 'cancelled'])[1 + n % 5],
        'USD', 3000, 500, 3500, 'wallet', '{{}}', 'user' || (2 + n % {CUSTOMERS}) || '@example.com',
        'explain-' || n, now() - n * interval '10 minutes', now()
    FROM generate_series(1, {ORDERS}) AS n
    """,
    f"""
    INSERT INTO order_lines (order_id, product_id, product_name, sku, unit_price, quantity,
        line_total)
    SELECT 1 + n / 2, 1 + (n * 7919) % {PRODUCTS}, 'A product', 'EXP', 1500, 1, 1500
    FROM generate_series(0, {ORDERS * 2 - 1}) AS n
    """,
    f"""
    INSERT INTO payments (order_id, method, amount, currency, status, created_at, user_id,
        updated_at)
    SELECT n, 'wallet', 3500, 'USD', 'succeeded', now(), 2 + n % {CUSTOMERS}, now()
    FROM generate_series(1, {ORDERS}) AS n
    """,
    # The first 10 000 products have reviews and questions (the product page's among them).
    """
    INSERT INTO reviews (product_id, user_id, author_name, rating, title, body, helpful_count,
        updated_at, created_at)
    SELECT 1 + n % 10000, 2 + n / 10000, 'User', 1 + n % 5, 'Fine', 'Does what it says.',
        n % 7, now(), now() - n * interval '1 minute'
    FROM generate_series(0, 29999) AS n
    """,
    f"""
    INSERT INTO questions (product_id, user_id, author_name, body, answered_at, created_at)
    SELECT 1 + n % 10000, 2 + n % {CUSTOMERS}, 'User', 'Is it sturdy?',
        CASE WHEN n % 2 = 0 THEN now() END, now() - n * interval '1 minute'
    FROM generate_series(0, 14999) AS n
    """,
    """
    INSERT INTO answers (question_id, user_id, author_name, by_staff, body, created_at)
    SELECT 1 + 2 * n, 1, 'Staff', true, 'Yes.', now() FROM generate_series(0, 7499) AS n
    """,
    f"""
    INSERT INTO stock_movements (product_id, delta, stock_after, reason, note, created_at)
    SELECT 1 + n % {PRODUCTS}, 5, 10, 'received', '', now() - n * interval '1 minute'
    FROM generate_series(0, 49999) AS n
    """,
    f"""
    INSERT INTO analytics_events (kind, occurred_at, session, device, product_id, data)
    SELECT (ARRAY['session', 'product_view', 'cart_add', 'search'])[1 + n % 4],
        now() - n * interval '10 seconds', md5(n::text), 'desktop', 1 + n % {PRODUCTS}, '{{}}'
    FROM generate_series(0, 49999) AS n
    """,
    # A cart for every customer and for 5 000 visitors, three lines each.
    f"""
    INSERT INTO carts (user_id, token, updated_at, created_at)
    SELECT CASE WHEN n <= {CUSTOMERS} THEN n + 1 END,
        CASE WHEN n > {CUSTOMERS} THEN md5(n::text) END, now(), now()
    FROM generate_series(1, {CUSTOMERS + 5_000}) AS n
    """,
    f"""
    INSERT INTO cart_items (cart_id, product_id, quantity, added_at)
    SELECT 1 + n / 3, 1 + (n::bigint * 104729) % {PRODUCTS}, 1, now()
    FROM generate_series(0, {(CUSTOMERS + 5_000) * 3 - 1}) AS n
    """,
    f"""
    INSERT INTO product_recommendations (product_id, other_product_id, score)
    SELECT 1 + n / 10, 1 + (n / 10 + 1 + n % 10) % {PRODUCTS}, 10 - n % 10
    FROM generate_series(0, 29999) AS n
    """,
    f"""
    INSERT INTO recently_viewed (user_id, product_id, viewed_at)
    SELECT 2 + n % {CUSTOMERS}, 1 + (n * 31) % {PRODUCTS}, now() - n * interval '1 minute'
    FROM generate_series(0, 19999) AS n
    """,
    f"""
    INSERT INTO wishlist_items (user_id, product_id, created_at)
    SELECT 2 + n % {CUSTOMERS}, 1 + (n * 37) % {PRODUCTS}, now()
    FROM generate_series(0, 9999) AS n
    """,
]

SHOPPER = "user2@example.com"  # has orders, a cart, reviews, views and saved products
STAFF = "user1@example.com"
PRODUCT = "product-42"  # reviewed, asked about, with recommendations


@dataclass(frozen=True)
class Statement:
    sql: str
    parameters: Any


@dataclass
class Shop:
    app: Flask
    clients: dict[str, FlaskClient]


def _admin(url: URL, sql: str) -> None:
    """A statement for the server (databases come and go outside transactions)."""
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


@contextmanager
def _indexes_built_after(conn: Connection, tables: frozenset[str]) -> Iterator[None]:
    """Load first and build the indexes once at the end, as a restore does: many times
    faster than keeping a dozen indexes up to date row by row. The definitions put
    back are the migrated ones, read from the database; constraints stay throughout."""
    found = conn.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
            " AND tablename = ANY(:tables) AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        ),
        {"tables": sorted(tables)},
    ).all()
    for name, _definition in found:
        conn.execute(text(f'DROP INDEX "{name}"'))
    yield
    conn.execute(text("SET LOCAL maintenance_work_mem = '128MB'"))
    for _name, definition in found:
        conn.execute(text(definition))


def _build(app: Flask) -> None:
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        with _db.engine.begin() as conn, _indexes_built_after(conn, BIG_TABLES):
            for statement in BUILD:
                conn.execute(text(statement), {"password_hash": hash_password(PASSWORD)})
        with _db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # What autovacuum does to a live shop: statistics, and the visibility map
            # that lets an index answer a count on its own.
            conn.execute(text("VACUUM ANALYZE"))


def _login(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return client


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """The big shop, in a database of its own beside the suite's (dropped afterwards),
    so neither sees the other's tables, statistics or migrations."""
    url = make_url(conftest._postgres_url())
    url = url.set(database=f"{url.database}_perfdb")
    name = url.database
    _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(url, f'CREATE DATABASE "{name}"')
    instance = str(tmp_path_factory.mktemp("explain"))
    config = conftest.test_config(url.render_as_string(hide_password=False), instance)
    app = create_app(config, instance_path=instance)
    try:
        started = time.monotonic()
        _build(app)
        print(f"built the shop in {time.monotonic() - started:.1f} s")
        clients = {
            "visitor": app.test_client(),
            "shopper": _login(app, SHOPPER),
            "staff": _login(app, STAFF),
        }
        # The visitor has viewed a product: the product page also shows what they viewed.
        assert clients["visitor"].get(f"/products/{PRODUCT}").status_code == 200
        yield Shop(app, clients)
    finally:
        with app.app_context():
            _db.engine.dispose()
        _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def captured(engine: Engine) -> Iterator[list[Statement]]:
    """The statements sent while the block runs, with their parameters."""
    seen: list[Statement] = []

    def before(conn: Any, cursor: Any, sql: str, parameters: Any, *args: Any) -> None:
        if sql.lstrip().split(None, 1)[0].upper() in {"SELECT", "WITH", "UPDATE", "DELETE"}:
            seen.append(Statement(sql, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def plan_of(engine: Engine, statement: Statement) -> dict[str, Any]:
    with engine.connect() as conn:
        parameters = statement.parameters
        if isinstance(parameters, list):  # executemany: one set explains them all
            parameters = parameters[0]
        row = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement.sql}", parameters).one()
        conn.rollback()
    return row[0][0]["Plan"]


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def big_scans(plan: dict[str, Any]) -> list[str]:
    return [
        node["Relation Name"]
        for node in nodes(plan)
        if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in BIG_TABLES
    ]


def render(plan: dict[str, Any], depth: int = 0) -> str:
    """The plan as EXPLAIN's text would show it, shortly: a node a line."""
    label = plan["Node Type"]
    if "Relation Name" in plan:
        label += f" on {plan['Relation Name']}"
    if "Index Name" in plan:
        label += f" using {plan['Index Name']}"
    details = [f"rows={plan.get('Plan Rows')}", f"cost={plan.get('Total Cost')}"]
    for key in ("Index Cond", "Recheck Cond", "Filter", "Sort Key", "Join Filter"):
        if key in plan:
            details.append(f"{key}: {plan[key]}")
    lines = ["  " * depth + f"-> {label} ({'; '.join(details)})"]
    lines += [render(child, depth + 1) for child in plan.get("Plans", [])]
    return "\n".join(lines)


def _name(n: int) -> str:
    return f"{ADJECTIVES[n % 10]} {KINDS[(n // 10) % 20]} {n}"


def _aisle(n: int) -> int:
    return n % 48  # aisle-D-S is the (D - 1) * 4 + S - 1th, category 13 + that


def _found(keep: Callable[[int], bool]) -> str:
    """What a listing of the published products ``keep`` picks says of its size."""
    return f"{sum(1 for n in range(1, PRODUCTS + 1) if n % 50 and keep(n))} products found"


def _in_stock(n: int) -> bool:
    return n % 9 != 0


def _department_3(n: int) -> bool:
    return 8 <= _aisle(n) < 12


def _lamp(n: int) -> bool:
    return (n // 10) % 20 == KINDS.index("Lamp")


IN_DEPARTMENT_3 = sum(1 for n in range(1, PRODUCTS + 1) if n % 50 and _department_3(n))
DEEP = ACTIVE // 12 - 2  # a page near the end of the catalogue
WEEK_AGO = (datetime.now(UTC) - timedelta(days=7)).date().isoformat()

# (who, URL, a text the page must show). Each listing order, with filters and on deep
# pages; a category with its subcategories; searches; the product page; the shopper's
# cart and orders; the staff lists.
PAGES = [
    ("visitor", "/", "Featured"),
    ("visitor", "/products", f"{ACTIVE} products found"),
    *[
        ("visitor", f"/products?sort={sort}", f"{ACTIVE} products found")
        for sort in ("price_asc", "price_desc", "rating", "newest", "popular")
    ],
    *[
        ("visitor", f"/products?sort={sort}&page={DEEP}", f"page {DEEP}")
        for sort in ("relevance", "price_asc", "price_desc", "rating", "newest", "popular")
    ],
    ("visitor", "/products?in_stock=1", _found(_in_stock)),
    ("visitor", "/products?in_stock=1&sort=price_asc", _found(_in_stock)),
    ("visitor", "/products?rating=4&sort=rating", _found(lambda n: (n * 31) % 41 >= 30)),
    (
        "visitor",
        "/products?min_price=100&max_price=200&sort=price_desc",
        _found(lambda n: 10_000 <= 199 + (n * 7919) % 99800 <= 20_000),
    ),
    ("visitor", "/products?brand=Brand+7&sort=newest", _found(lambda n: n % 30 == 7)),
    (
        "visitor",
        "/products?category=aisle-2-1&category=aisle-5-3",
        _found(lambda n: _aisle(n) in (4, 18)),
    ),
    ("visitor", "/categories", "Department 3"),
    ("visitor", "/categories/department-3", _found(_department_3)),
    (
        "visitor",
        "/categories/department-3?sort=price_asc&in_stock=1",
        _found(lambda n: _department_3(n) and _in_stock(n)),
    ),
    ("visitor", f"/categories/department-3?sort=popular&page={IN_DEPARTMENT_3 // 12}", "page 680"),
    ("visitor", "/categories/aisle-3-2?sort=newest", _found(lambda n: _aisle(n) == 9)),
    ("visitor", "/products?q=lamp", _found(_lamp)),
    ("visitor", "/products?q=lamp&sort=price_asc", _found(_lamp)),
    (
        "visitor",
        "/products?q=vintage+lamp&category=department-3",
        _found(lambda n: _lamp(n) and n % 10 == ADJECTIVES.index("Vintage") and _department_3(n)),
    ),
    ("visitor", "/products?q=ke", _found(lambda n: (n // 10) % 20 == KINDS.index("Kettle"))),
    ("visitor", "/products?q=lmap", "showing results for “lamp”"),
    ("visitor", "/search/suggestions?q=lam", "Lamp"),
    ("visitor", "/search/suggestions?q=de", "Department"),
    ("visitor", f"/products/{PRODUCT}", _name(42)),
    ("visitor", f"/products/{PRODUCT}?sort=helpful&page=2", _name(42)),
    ("visitor", "/sitemap-products-1.xml", "/products/product-"),
    ("shopper", f"/products/{PRODUCT}", _name(42)),
    ("shopper", "/cart", "Your cart"),
    ("shopper", "/orders", "QK-00005000"),
    ("shopper", "/orders/QK-00020000", "QK-00020000"),
    ("shopper", "/wishlist", "Saved"),
    ("shopper", "/account", "Wallet"),
    ("staff", "/admin/", "Shop overview"),
    ("staff", "/admin/products", "Products"),
    ("staff", "/admin/products?status=retired", "Products"),
    ("staff", "/admin/products?sort=price&category=21", "Products"),
    ("staff", "/admin/inventory", "stock"),
    ("staff", "/admin/products?sort=newest&status=published", "Products"),
    ("staff", "/admin/products?stock=low&sort=stock", "Products"),
    ("staff", "/admin/products?q=lamp", "Products"),
    ("staff", "/admin/products/42", _name(42)),
    ("staff", "/admin/orders", "QK-00000001"),
    ("staff", "/admin/orders?status=paid", "Orders"),
    ("staff", "/admin/orders?customer=user2%40", "QK-00005000"),
    ("staff", f"/admin/orders?since={WEEK_AGO}&method=wallet", "QK-00000001"),
    ("staff", "/admin/customers?q=user2", "user2@example.com"),
    ("staff", "/admin/customers/2", "user2@example.com"),
    ("staff", "/admin/analytics", "Analytics"),
]


@pytest.mark.parametrize(("who", "url", "shows"), PAGES, ids=[f"{w} {u}" for w, u, _ in PAGES])
def test_no_hot_query_scans_a_big_table(shop: Shop, who: str, url: str, shows: str) -> None:
    client = shop.clients[who]
    with shop.app.app_context():
        engine = _db.engine
    with captured(engine) as statements:
        response = client.get(url)
        page = response.get_data(as_text=True)  # a streamed page queries as it is read
    assert response.status_code == 200, page[:500]
    assert shows in page
    assert statements, "the page ran no query at all"
    failures = []
    for statement in statements:
        plan = plan_of(engine, statement)
        scanned = big_scans(plan)
        if scanned:
            failures.append(
                f"sequential scan of {', '.join(scanned)}:\n{statement.sql}\n"
                f"parameters: {statement.parameters}\n{render(plan)}"
            )
    assert not failures, f"{url} ({who}):\n\n" + "\n\n".join(failures)
