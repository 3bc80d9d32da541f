"""The schema is made by migrations; the models must agree with them."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from qkart.extensions import db as _db
from qkart.search import is_search_object


def test_models_and_migrations_agree(db):
    with _db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": False,
                # The search index is the database's own (qkart.search), not a model's.
                "include_object": lambda obj, name, type_, reflected, compare_to: (
                    not (reflected and is_search_object(name))
                ),
            },
        )
        diff = compare_metadata(context, _db.metadata)
    assert diff == [], f"models differ from migrations: {diff}. Run: flask db migrate"
