"""A cache of rendered HTML fragments: in this process, and in Redis when configured.

Hot pages repeat the same pieces (a product card is drawn on the catalogue, its
category, searches and the home page), and drawing them is most of a page's cost.
Keys name everything a fragment is made from (see ``qkart.blueprints.shop.cards``),
so an entry can never be stale: a changed product simply asks for a new key, and the
old entry ages out. That is what makes an in-process copy safe beside Redis, with
any number of processes: Redis only saves the others the first rendering.

Redis trouble never breaks a page: it is logged, Redis is left alone for a while,
and fragments are rendered (and kept in process) as if it were not configured.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask, current_app

log = logging.getLogger(__name__)

EXTENSION = "qkart_fragments"
LOCAL_ENTRIES = 4000  # about 6 MB of cards per process
REDIS_TTL = 7 * 24 * 3600  # unused entries go; a changed product never reads its old one
REDIS_TIMEOUT = 0.25
REDIS_PAUSE = 30.0  # after an error, seconds before Redis is tried again
PREFIX = "qkart:fragment:"


class FragmentCache:
    """Fragments by key: a bounded LRU in process, in front of Redis when there is one."""

    def __init__(
        self,
        redis_url: str | None,
        entries: int = LOCAL_ENTRIES,
        *,
        prefix: str = PREFIX,
        ttl: int = REDIS_TTL,
    ) -> None:
        self._local: OrderedDict[str, str] = OrderedDict()
        self._entries = entries
        self._prefix = prefix
        self._ttl = ttl
        self._lock = threading.Lock()
        self._redis_url = redis_url
        self._redis: Any = None
        self._paused_until = 0.0

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        """The fragments found, by key: from this process first, then one Redis round trip."""
        found: dict[str, str] = {}
        missing: list[str] = []
        with self._lock:
            for key in keys:
                html = self._local.get(key)
                if html is None:
                    missing.append(key)
                else:
                    self._local.move_to_end(key)
                    found[key] = html
        if missing:
            shared = self._redis_get(missing)
            if shared:
                self._remember(shared)
                found.update(shared)
        return found

    def set_many(self, fragments: Mapping[str, str]) -> None:
        """Keep freshly rendered fragments here and, when configured, in Redis."""
        if not fragments:
            return
        self._remember(fragments)
        client = self._client()
        if client is None:
            return
        try:
            pipe = client.pipeline(transaction=False)
            for key, html in fragments.items():
                pipe.set(self._prefix + key, html.encode("utf-8"), ex=self._ttl)
            pipe.execute()
        except Exception:
            self._pause("store")

    def clear(self) -> None:
        """Forget this process's copies (tests; Redis entries are keyed by content)."""
        with self._lock:
            self._local.clear()

    def __len__(self) -> int:
        return len(self._local)

    def _remember(self, fragments: Mapping[str, str]) -> None:
        with self._lock:
            for key, html in fragments.items():
                self._local[key] = html
                self._local.move_to_end(key)
            while len(self._local) > self._entries:
                self._local.popitem(last=False)

    def _redis_get(self, keys: list[str]) -> dict[str, str]:
        client = self._client()
        if client is None:
            return {}
        try:
            values = client.mget([self._prefix + key for key in keys])
        except Exception:
            self._pause("read")
            return {}
        return {key: v.decode("utf-8") for key, v in zip(keys, values, strict=True) if v}

    def _client(self) -> Any:
        if not self._redis_url or time.monotonic() < self._paused_until:
            return None
        if self._redis is None:
            from redis import Redis

            self._redis = Redis.from_url(
                self._redis_url,
                socket_connect_timeout=REDIS_TIMEOUT,
                socket_timeout=REDIS_TIMEOUT,
            )
        return self._redis

    def _pause(self, what: str) -> None:
        log.warning(
            "fragment cache: could not %s in Redis; rendering without it for %ss",
            what,
            int(REDIS_PAUSE),
            exc_info=True,
        )
        self._paused_until = time.monotonic() + REDIS_PAUSE


def fragments(app: Flask | None = None) -> FragmentCache:
    """The app's fragment cache, made on first use (the factory opens no connection)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cache = app.extensions.get(EXTENSION)
    if cache is None:
        cache = app.extensions[EXTENSION] = FragmentCache(app.config.get("REDIS_URL"))
    return cache
