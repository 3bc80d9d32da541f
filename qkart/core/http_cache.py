"""Validators for conditional GET, and which responses no cache may keep.

Public pages (catalogue, categories, products) change when anything they show changes:
a product, its stock or price, a review, a setting, a category... Rather than ask the
database on every request, the shop keeps one *catalogue version*: a random token that
every commit touching a shown table replaces, after the commit (so a reader never pairs
a new token with old rows). It lives in Redis when ``REDIS_URL`` is set, so every web
and worker process agrees, and in a file of the instance folder otherwise (the processes
of one machine, beside the SQLite database).
A token, not a counter: a flushed Redis starts a new one that no old validator matches.

A page's validator is a digest of that version, the code and settings of this release,
and whatever the view adds for the visitor; a view compares it with ``If-None-Match``
before it renders, and answers 304 when they match.

Values a process keeps for a while (settings, delivery options) go into the view's
validator as that process has them, so a process still showing old ones never gives a
validator that a fresh process would honour, and its own changes when it reloads them.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, has_app_context, request
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState, Session

log = logging.getLogger(__name__)

# Tables no public page shows, or whose rows only their owner sees (the visitor's own
# part of a page is in the view's validator). A change to any other table, including
# one added later and not listed here, makes every page validator new. (Some names are
# those of tables that work merged beside this one adds: staff analytics, web vitals.)
PRIVATE_TABLES = frozenset(
    {
        "addresses",
        "analytics_daily",
        "analytics_daily_searches",
        "analytics_events",
        "analytics_report_runs",
        "analytics_rollup_state",
        "audit_log",
        "cart_items",
        "cart_reminders",
        "carts",
        "checkout_drafts",
        "coupon_redemptions",
        "document_counters",
        "invoices",
        "job_outbox",
        "order_events",
        "order_lines",
        "orders",
        "payment_events",
        "payments",
        "product_imports",
        "recently_viewed",
        "recommendation_runs",
        "refunds",
        "return_lines",
        "returns",
        "sent_emails",
        "staff_invitations",
        "stock_alerts",
        "stripe_events",
        "unsubscribes",
        "users",
        "wallet_entries",
        "wallets",
        "web_vital_counts",
        "welcome_grants",
        "wishlist_items",
    }
)
# A lost bump (Redis down at that moment) can keep a page stale at most this long.
TOKEN_LIFETIME = 3600

REDIS_KEY = "qkart:catalogue:version"
VERSION_FILE = "catalogue-version"
CHANGED_KEY = "qkart_changed_tables"
NO_STORE = "no-store"


class FileVersionStore:
    """A version token in a file of the instance folder, without Redis: every process on
    this machine (gunicorn's workers, the CLI, inline jobs) sees the others' changes, for
    the price of reading 16 bytes per page. (Not a ``stat``: a renewed file may get the
    inode just freed and, within the clock's tick, the same modification time.)"""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()

    def read(self) -> str | None:
        try:
            try:
                token = self._path.read_text()
            except FileNotFoundError:
                self.bump()
                token = self._path.read_text()
        except OSError as error:  # no instance folder to write: full pages, never wrong
            log.warning("version file %s unavailable (%s)", self._path.name, error)
            return None
        return token.strip() or None

    def bump(self) -> None:
        # A new file moved into place: a reader sees the old token or the new, never half.
        spare = self._path.with_name(f".{self._path.name}.{secrets.token_hex(4)}")
        with self._lock:
            try:
                self._path.parent.mkdir(parents=True, exist_ok=True)
                spare.write_text(secrets.token_hex(8))
                os.replace(spare, self._path)
            except OSError as error:
                log.warning("could not renew the catalogue version (%s)", error)


class RedisVersionStore:
    """The catalogue version shared by every process through Redis."""

    def __init__(self, url: str) -> None:
        from redis import Redis

        self._redis = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def read(self) -> str | None:
        """The current token; None when Redis does not answer (then every page is
        rendered in full, which is slower but never wrong)."""
        try:
            token = self._redis.get(REDIS_KEY)
            if token is None:
                self._redis.set(REDIS_KEY, secrets.token_hex(8), nx=True, ex=TOKEN_LIFETIME)
                token = self._redis.get(REDIS_KEY)
        except Exception as error:  # Redis down: no validators rather than a failed page
            log.warning("catalogue version unavailable (%s: %s)", type(error).__name__, error)
            return None
        if token is None:
            return None
        return token.decode() if isinstance(token, bytes) else str(token)

    def bump(self) -> None:
        try:
            self._redis.set(REDIS_KEY, secrets.token_hex(8), ex=TOKEN_LIFETIME)
        except Exception as error:  # the commit stands; validators expire with the token
            log.warning(
                "could not renew the catalogue version (%s: %s)", type(error).__name__, error
            )


def _store(app: Flask) -> FileVersionStore | RedisVersionStore:
    store = app.extensions.get("qkart_catalogue_version")
    if store is None:
        url = app.config.get("REDIS_URL")
        path = Path(app.instance_path) / VERSION_FILE
        store = RedisVersionStore(url) if url else FileVersionStore(path)
        app.extensions["qkart_catalogue_version"] = store
    return store


def catalogue_version() -> str | None:
    """The token of the public pages' current state (None: give out no validator now)."""
    return _store(current_app).read()


# -- noticing changes ---------------------------------------------------------------


def _note(session: Session, tables: Iterable[str]) -> None:
    shown = {name for name in tables if name not in PRIVATE_TABLES}
    if shown:
        session.info.setdefault(CHANGED_KEY, set()).update(shown)


def _after_flush(session: Session, context: Any) -> None:
    changed = [*session.new, *session.deleted]
    changed += [obj for obj in session.dirty if session.is_modified(obj)]
    _note(session, (getattr(obj, "__tablename__", "") for obj in changed))


def _on_execute(state: ORMExecuteState) -> None:
    """Bulk ``update(Product)...`` and the like bypass the flush: note their table too."""
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        _note(state.session, [getattr(table, "name", "")])


def _after_commit(session: Session) -> None:
    changed = session.info.pop(CHANGED_KEY, None)
    if changed and has_app_context():
        _store(current_app).bump()


def _after_soft_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop(CHANGED_KEY, None)


# -- the validator -------------------------------------------------------------------

_release: list[str] = []


def release_digest() -> str:
    """This deployment's code and templates (names, sizes, times), read once per process
    (on every request in debug mode, where templates reload): a deploy that changes a
    page's markup must not let browsers keep the old one."""
    if not _release or current_app.debug:
        root = Path(__file__).resolve().parent.parent
        digest = hashlib.sha256()
        for path in sorted(root.rglob("*")):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            stat = path.stat()
            digest.update(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
        _release[:] = [digest.hexdigest()[:16]]
    return _release[0]


def _settings_digest(app: Flask) -> str:
    cached = app.extensions.get("qkart_settings_digest")
    if cached is None:
        shop = sorted((k, repr(v)) for k, v in app.config.items() if k.startswith("QKART_"))
        cached = app.extensions["qkart_settings_digest"] = hashlib.sha256(
            repr(shop).encode()
        ).hexdigest()[:16]
    return cached


def page_digest(*parts: object) -> str:
    """A validator of a page made of ``parts`` (the caller includes the catalogue version
    it read before loading the page) in this release with these settings."""
    digest = hashlib.sha256()
    for part in (release_digest(), _settings_digest(current_app), *parts):
        digest.update(repr(part).encode())
        digest.update(b"\x00")
    return digest.hexdigest()[:32]


def matches(etag: str) -> bool:
    """Whether the request's ``If-None-Match`` names ``etag`` (weak comparison, as GET
    uses; a bare ``*`` names no particular page, so it never counts)."""
    asked = request.if_none_match
    return not asked.star_tag and asked.contains_weak(etag)


def not_modified(etag: str, vary: Iterable[str] = ()) -> Response:
    """The 304 answer: no body, the same validator and caching headers as the page."""
    response = Response(status=304)
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = "private, no-cache"
    for header in vary:
        response.vary.add(header)
    return response


# -- what no cache may keep -----------------------------------------------------------

# A visitor's cart, checkout, account, orders, wallet, wishlist, alerts, sign-in forms and
# the staff area: whoever asks, these pages are theirs alone.
NO_STORE_BLUEPRINTS = frozenset(
    {
        "account",
        "admin",
        "auth",
        "cart",
        "checkout",
        "orders",
        "settings",
        "stock_alerts",
        "wallet",
        "wishlist",
    }
)
FILE_ENDPOINTS = frozenset({"static", "media.image", "media.variant"})


def _signed_in() -> bool:
    """Whether a user is signed in; when the database cannot say (an error page while it
    is down), the answer that keeps the response out of caches."""
    from qkart.extensions import db

    try:
        return bool(current_user.is_authenticated)
    except SQLAlchemyError:
        db.session.rollback()
        return True


def init_http_cache(app: Flask) -> None:
    """Listen for commits that change public pages; mark private responses ``no-store``.

    Registered before the web module's headers, so this hook runs after them (Flask runs
    after-request hooks last-registered first) and may replace their default.
    """
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _on_execute)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_soft_rollback)

    @app.after_request
    def private_pages_are_not_stored(response: Response) -> Response:
        if request.endpoint in FILE_ENDPOINTS:
            return response
        if "public" in response.headers.get("Cache-Control", ""):
            return response  # the same for everyone (search suggestions, robots.txt)
        if request.blueprint in NO_STORE_BLUEPRINTS or _signed_in():
            response.headers["Cache-Control"] = NO_STORE
            response.headers.remove("ETag")
        return response
