"""Full-text product search, typo fixing and suggestions, the same contract on every database.

``match(q)`` gives a condition on ``products`` and a rank (larger is better):
PostgreSQL answers with ``websearch_to_tsquery`` over a weighted ``tsvector`` (name,
then brand and category, then description) and its GIN index; SQLite with an FTS5
table (porter stemming, BM25 with the same weights). Both understand what shoppers
type into search boxes: several words (all must match), "quoted phrases", ``-word``
to leave out, ``or`` between alternatives.

``did_you_mean(q)`` fixes a search that found nothing, word by word, against the
words of the catalogue (names, brands, categories) by edit distance with
transpositions, so "lmap" becomes "lamp". Trigram similarity, the usual PostgreSQL
answer, misses exactly these short transposed words (``similarity('lmap', 'lamp')``
is 0.11), so one Python fixer serves both databases; it runs only when a search
found nothing, over a vocabulary cached per process.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Select,
    false,
    func,
    literal_column,
    select,
    table,
)

from qkart.catalog.models import Category, Product
from qkart.extensions import db

WORD = re.compile(r"[^\W_]+")
TOKEN = re.compile(r'-?"[^"]*"?|\S+')
MAX_WORDS = 8
VOCABULARY_TTL = 600.0
VOCABULARY_KEY = "qkart_search_vocabulary"
# FTS5 column weights, in the order of the columns: name, brand, category, description.
BM25_WEIGHTS = (10.0, 4.0, 4.0, 1.0)


@dataclass(frozen=True)
class Match:
    condition: ColumnElement[bool]
    rank: ColumnElement[Any] | None  # None: nothing to rank by


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())[:MAX_WORDS]


def _postgres_match(q: str) -> Match:
    query = func.websearch_to_tsquery(literal_column("'english'::regconfig"), q)
    vector: ColumnClause[Any] = literal_column("products.search_vector")
    return Match(vector.op("@@")(query), func.ts_rank_cd(vector, query))


def fts_expression(q: str) -> str | None:
    """The shopper's search as an FTS5 query; only letters and digits reach it, quoted.

    Each bare word matches as a prefix too ("lam" finds "lamp" as it is typed).
    """
    groups: list[list[str]] = []  # AND of groups; each group is an OR of terms
    excluded: list[str] = []
    join_next = False
    for token in TOKEN.findall(q):
        negative, token = token.startswith("-"), token.lstrip("-")
        if token.lower() == "or" and groups:
            join_next = True
            continue
        found = words(token)
        if not found:
            continue
        if token.startswith('"'):
            term = '"' + " ".join(found) + '"'
        else:
            term = " AND ".join(f'"{w}"*' for w in found)
            term = f"({term})" if len(found) > 1 else term
        if negative:
            excluded.append(term)
        elif join_next:
            groups[-1].append(term)
        else:
            groups.append([term])
        join_next = False
    if not groups:
        return None
    expression = " AND ".join(
        "(" + " OR ".join(g) + ")" if len(g) > 1 else g[0] for g in groups[:MAX_WORDS]
    )
    for term in excluded[:MAX_WORDS]:
        expression = f"({expression}) NOT {term}"
    return expression


def _sqlite_match(q: str) -> Match:
    expression = fts_expression(q)
    if expression is None:
        return Match(false(), None)
    fts = table("product_fts")
    hits = literal_column("product_fts").op("MATCH")(expression)
    ids: Select[Any] = select(literal_column("rowid")).select_from(fts).where(hits)
    bm25 = (
        select(func.bm25(literal_column("product_fts"), *BM25_WEIGHTS))
        .select_from(fts)
        .where(hits, literal_column("product_fts.rowid") == Product.id)
        .scalar_subquery()
    )
    return Match(Product.id.in_(ids), -func.coalesce(bm25, 0))


def match(q: str) -> Match:
    """Products the search ``q`` finds in their name, brand, category or description."""
    if db.engine.dialect.name == "postgresql":
        return _postgres_match(q)
    return _sqlite_match(q)


# -- typos ---------------------------------------------------------------------------


def _vocabulary() -> Counter[str]:
    """Words of active products' names and brands and of category names, with counts."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    cached = app.extensions.get(VOCABULARY_KEY)
    now = time.monotonic()
    if cached and cached[0] > now:
        return cached[1]
    counts: Counter[str] = Counter()
    rows = db.session.execute(
        select(Product.name, Product.brand).where(Product.is_active.is_(True))
    )
    for name, brand in rows:
        counts.update(set(WORD.findall(f"{name} {brand}".lower())))
    for (name,) in db.session.execute(select(Category.name)):
        counts.update(set(WORD.findall(name.lower())))
    counts = Counter({w: n for w, n in counts.items() if len(w) > 2 and not w.isdigit()})
    app.extensions[VOCABULARY_KEY] = (now + VOCABULARY_TTL, counts)
    return counts


def forget_vocabulary() -> None:
    current_app.extensions.pop(VOCABULARY_KEY, None)


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Optimal string alignment distance (a swap of two neighbours counts as one edit)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def _closest(word: str, vocabulary: Counter[str]) -> str | None:
    if word in vocabulary or len(word) < 3:
        return None
    allowed = 1 if len(word) <= 5 else 2
    best: tuple[int, int, str] | None = None
    for term, count in vocabulary.items():
        if abs(len(term) - len(word)) > allowed:
            continue
        distance = edit_distance(word, term, allowed)
        if distance <= allowed and (best is None or (distance, -count) < best[:2]):
            best = (distance, -count, term)
    return best[2] if best else None


def did_you_mean(q: str) -> str | None:
    """The search with each unknown word replaced by the closest catalogue word, if any."""
    found = words(q)
    if not found:
        return None
    vocabulary = _vocabulary()
    fixed = [_closest(w, vocabulary) or w for w in found]
    return " ".join(fixed) if fixed != found else None


# -- suggestions ---------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    label: str
    kind: str  # product, category
    slug: str


def suggest(q: str, limit: int = 8) -> list[Suggestion]:
    """What the header search box offers as the shopper types: categories, then products
    whose name contains the words, best sellers first."""
    from qkart.catalog.services import name_matches

    q = " ".join(q.split())[:100]
    if not any(ch.isalnum() for ch in q):
        return []
    categories = db.session.execute(
        select(Category.name, Category.slug)
        .where(name_matches(Category.name, q))
        .order_by(Category.position, Category.name)
        .limit(3)
    ).all()
    products = db.session.execute(
        select(Product.name, Product.slug)
        .where(Product.is_active.is_(True), name_matches(Product.name, q))
        .order_by(Product.sold_count.desc(), Product.id.desc())
        .limit(limit - len(categories))
    ).all()
    return [Suggestion(n, "category", s) for n, s in categories] + [
        Suggestion(n, "product", s) for n, s in products
    ]
