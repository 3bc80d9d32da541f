"""catalogue listing indexes and trigram search

Every listing order of the catalogue gets an index that serves it, so a page of
a large catalogue is read from an index instead of sorting every product. On
PostgreSQL, product-name search ("name ILIKE '%q%'") is served by a trigram GIN
index (pg_trgm); other databases get a plain index on the name.

Revision ID: 7c1e2f0a9b3d
Revises: 331436380d0f
Create Date: 2026-11-24 07:40:00

"""

from alembic import op

revision = "7c1e2f0a9b3d"
down_revision = "331436380d0f"
branch_labels = None
depends_on = None

LISTING_INDEXES = {
    "ix_products_listing": ["is_active", "featured", "sold_count", "id"],
    "ix_products_popular": ["is_active", "sold_count", "id"],
    "ix_products_rating": ["is_active", "rating", "rating_count", "id"],
    "ix_products_newest": ["is_active", "created_at", "id"],
}


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index("ix_products_active_featured")
        batch_op.drop_index("ix_products_active_price")
        batch_op.create_index("ix_products_active_price", ["is_active", "price", "id"])
        for name, columns in LISTING_INDEXES.items():
            batch_op.create_index(name, columns)
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index(
        "ix_products_name_trgm",
        "products",
        ["name"],
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )


def downgrade():
    op.drop_index("ix_products_name_trgm", table_name="products")
    with op.batch_alter_table("products", schema=None) as batch_op:
        for name in LISTING_INDEXES:
            batch_op.drop_index(name)
        batch_op.drop_index("ix_products_active_price")
        batch_op.create_index("ix_products_active_price", ["is_active", "price"])
        batch_op.create_index("ix_products_active_featured", ["is_active", "featured"])
