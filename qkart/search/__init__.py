"""Product search: one contract, a backend per database (PostgreSQL full text, SQLite FTS5).

The search index is the database's own: a ``search_vector`` column kept by a
trigger on PostgreSQL, an FTS5 table kept by triggers on SQLite (both made by the
"full-text product search" migration), so every way a product is written (forms,
CSV import, seed, bulk SQL) keeps it right. Those objects are not in the models;
``SEARCH_OBJECTS`` names them so schema comparisons leave them alone.
"""

SEARCH_OBJECTS = frozenset(
    {
        "search_vector",
        "ix_products_search",
        "product_fts",
        "product_fts_data",
        "product_fts_idx",
        "product_fts_content",
        "product_fts_docsize",
        "product_fts_config",
    }
)


def is_search_object(name: str | None) -> bool:
    """For Alembic's ``include_object``: objects the search backends own."""
    return name in SEARCH_OBJECTS
