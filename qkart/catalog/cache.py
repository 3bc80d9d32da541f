"""Catalogue reads that every shop page repeats, kept until the catalogue changes.

The category tree, a listing's order and total and its facet counts cost most of a
catalogue page's SQL (the counts read every active product), yet change only when a
product, a category or a picture does. They are kept in process under the catalogue's
*generation*, a number every commit that touched those tables moves on:

- with Redis configured it is one shared counter, so every process sees a change
  at its next request (one GET per request);
- without Redis it is a token in a file of the instance folder that every process on
  the machine renews after such a commit (with this process's own counter, should the
  file be unwritable), so gunicorn's workers see one another's changes at once; entries
  also lapse after ``LOCAL_TTL`` seconds, in case the file cannot be written.

Products themselves are never served from here: a listing keeps their ids, and the
page loads the rows (one query) so a card always shows the current name, price and
stock. Redis trouble is logged and the local counter takes over.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_app_context, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from qkart.catalog.models import Category, Product, ProductImage, ProductImageVariant
from qkart.core.http_cache import FileVersionStore

log = logging.getLogger(__name__)
T = TypeVar("T")

WATCHED = (Product, Category, ProductImage, ProductImageVariant)
WATCHED_TABLES = frozenset(m.__tablename__ for m in WATCHED)
REDIS_KEY = "qkart:catalog:generation"
GENERATION_FILE = "catalog-generation"
LOCAL_TTL = 30.0  # without Redis, how stale another process's entries may get (as settings)
SHARED_TTL = 300.0  # with Redis, a bound on memory rather than on staleness
MAX_ENTRIES = 2000
REDIS_TIMEOUT = 0.25
REDIS_PAUSE = 30.0
CHANGED = "qkart_catalog_changed"


class CatalogCache:
    """Values computed from the catalogue, by key, valid for one generation."""

    def __init__(self, redis_url: str | None, generation_file: Path | None = None) -> None:
        self._values: dict[Any, tuple[Hashable, float, Any]] = {}
        self._file = FileVersionStore(generation_file) if generation_file else None
        self._lock = threading.Lock()
        self._local_generation = 0
        self._redis_url = redis_url
        self._redis: Any = None
        self._paused_until = 0.0

    @property
    def shared(self) -> bool:
        return bool(self._redis_url) and time.monotonic() >= self._paused_until

    def generation(self) -> Hashable:
        """The catalogue's generation now (read once per request)."""
        if has_request_context() and "catalog_generation" in g:
            return g.catalog_generation
        found: Hashable = self._local_generation
        client = self._client()
        if client is not None:
            try:
                found = int(client.get(REDIS_KEY) or 0)
            except Exception:
                self._pause()
        elif self._file is not None and not self._redis_url:
            found = (self._local_generation, self._file.read())
        if has_request_context():
            g.catalog_generation = found
        return found

    def bump(self) -> None:
        """The catalogue changed: every entry made before is stale, here and elsewhere."""
        with self._lock:
            self._local_generation += 1
            self._values.clear()
        client = self._client()
        if client is not None:
            try:
                client.incr(REDIS_KEY)
            except Exception:
                self._pause()
        elif self._file is not None and not self._redis_url:
            self._file.bump()
        if has_request_context():
            g.pop("catalog_generation", None)

    def get_or_make(self, key: Any, make: Callable[[], T]) -> T:
        """The value kept for ``key`` in this generation, else ``make()``'s (then kept)."""
        generation = self.generation()
        now = time.monotonic()
        with self._lock:
            kept = self._values.get(key)
        if kept is not None and kept[0] == generation and kept[1] > now:
            return kept[2]
        value = make()
        ttl = SHARED_TTL if self.shared else LOCAL_TTL
        with self._lock:
            if len(self._values) >= MAX_ENTRIES:
                self._values.clear()  # simple and rare: a full cache refills from the database
            self._values[key] = (generation, now + ttl, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def _client(self) -> Any:
        if not self.shared:
            return None
        if self._redis is None:
            from redis import Redis

            self._redis = Redis.from_url(
                self._redis_url,  # type: ignore[arg-type]
                socket_connect_timeout=REDIS_TIMEOUT,
                socket_timeout=REDIS_TIMEOUT,
            )
        return self._redis

    def _pause(self) -> None:
        log.warning(
            "catalogue cache: Redis failed; using this process's generation for %ss",
            int(REDIS_PAUSE),
            exc_info=True,
        )
        self._paused_until = time.monotonic() + REDIS_PAUSE


def catalog_cache(app: Flask | None = None) -> CatalogCache:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cache = app.extensions.get("qkart_catalog_cache")
    if cache is None:
        path = Path(app.instance_path) / GENERATION_FILE
        made = CatalogCache(app.config.get("REDIS_URL"), path)
        cache = app.extensions.setdefault("qkart_catalog_cache", made)
    return cache


def cached(key: Any, make: Callable[[], T]) -> T:
    """``make()``'s value, computed once per catalogue generation (see the module)."""
    return catalog_cache().get_or_make(key, make)


# -- what moves the generation on -------------------------------------------------


def _mark_flushed(session: Session, *_: Any) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, WATCHED):
            session.info[CHANGED] = True
            return


def _mark_statement(state: ORMExecuteState) -> None:
    """Bulk UPDATE or DELETE of products (stock reserved by an order, staff bulk actions)."""
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in WATCHED_TABLES:
        state.session.info[CHANGED] = True


def _bump_after_commit(session: Session) -> None:
    # A change rolled back leaves its mark for the next commit: one needless refresh.
    if session.info.pop(CHANGED, False) and has_app_context():
        catalog_cache().bump()


def watch_catalogue_changes() -> None:
    """Listen on every session for commits that change products, categories or pictures."""
    if event.contains(Session, "after_commit", _bump_after_commit):
        return
    event.listen(Session, "after_flush", _mark_flushed)
    event.listen(Session, "do_orm_execute", _mark_statement)
    # First of all commit listeners: the generation moves on before the catalogue version
    # (qkart.core.http_cache) is renewed, so a page that reads the new version (first
    # thing in a request) also reads the new generation: a listing kept from before the
    # change never goes out under the new validator.
    event.listen(Session, "after_commit", _bump_after_commit, insert=True)
