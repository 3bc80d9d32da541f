"""catalogue indexes: every hot query served by an index

Found by tests/integration/test_explain.py (EXPLAIN over 100 000 products), which
fails on any sequential scan of a big table:

- facet counts, listing totals and the category tree counted every product from the
  table: ``ix_products_facets`` (publishing state and category, with brand, price,
  rating, stock and retirement as included columns) answers them from the index alone
  on PostgreSQL, and replaces ``ix_products_active_category``;
- the staff product list sorts drafts and published products alike: the price and
  newest indexes now lead with their column (publishing state included, so the shop's
  listing and its deep pages still read them alone), and name and stock get theirs (the
  name index also holds the brand: the words search's typo fixer learns from);
- the staff order list and dashboard show every order newest first: ``ix_orders_created``;
- the analytics summaries start from the first event: ``ix_analytics_events_time``;
- the staff home's returning-customer share looks up each buyer's earlier guest orders
  by address: ``ix_orders_guest_email`` (the address as the reports compare it);
- "contains" searches of staff (product SKU, order e-mail, customer name and e-mail)
  get trigram indexes, as product names have (a plain index on other databases).

Revision ID: f3c4d5e6f7a8
Revises: f2b3c4d5e6f7
Create Date: 2026-12-03 07:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f3c4d5e6f7a8"
down_revision = "f2b3c4d5e6f7"
branch_labels = None
depends_on = None

# name: (columns, included columns); PostgreSQL alone keeps the included ones.
PRODUCT_INDEXES = {
    "ix_products_price": (["price", "id"], ["is_active"]),
    "ix_products_created": (["created_at", "id"], ["is_active"]),
    "ix_products_facets": (
        ["is_active", "category_id"],
        ["brand", "price", "rating", "stock", "retired_at"],
    ),
    "ix_products_name": (["name", "id"], ["is_active", "brand"]),
    "ix_products_stock": (["stock", "id"], ["is_active", "retired_at", "low_stock_threshold"]),
}
REPLACED = {
    "ix_products_active_price": ["is_active", "price", "id"],
    "ix_products_newest": ["is_active", "created_at", "id"],
    "ix_products_active_category": ["is_active", "category_id"],
}
# name: (table, columns, included columns)
OTHER_INDEXES = {
    "ix_orders_created": ("orders", ["created_at", "id"], []),
    "ix_analytics_events_time": ("analytics_events", ["occurred_at"], []),
}
# name: (table, column)
TRIGRAM_INDEXES = {
    "ix_products_sku_trgm": ("products", "sku"),
    "ix_orders_contact_email_trgm": ("orders", "contact_email"),
    "ix_users_name_trgm": ("users", "name"),
    "ix_users_email_trgm": ("users", "email"),
}


def upgrade():
    with op.batch_alter_table("products", schema=None) as batch_op:
        for name in REPLACED:
            batch_op.drop_index(name)
        for name, (columns, included) in PRODUCT_INDEXES.items():
            batch_op.create_index(name, columns, postgresql_include=included)
    for name, (table, columns, included) in OTHER_INDEXES.items():
        op.create_index(name, table, columns, postgresql_include=included)
    op.create_index(
        "ix_orders_guest_email",
        "orders",
        [sa.text("lower(trim(contact_email))"), "created_at"],
        sqlite_where=sa.text("user_id IS NULL"),
        postgresql_where=sa.text("user_id IS NULL"),
    )
    for name, (table, column) in TRIGRAM_INDEXES.items():
        op.create_index(
            name,
            table,
            [column],
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )


def downgrade():
    for name, (table, _column) in TRIGRAM_INDEXES.items():
        op.drop_index(name, table_name=table)
    op.drop_index("ix_orders_guest_email", table_name="orders")
    for name, (table, _columns, _included) in OTHER_INDEXES.items():
        op.drop_index(name, table_name=table)
    with op.batch_alter_table("products", schema=None) as batch_op:
        for name in PRODUCT_INDEXES:
            batch_op.drop_index(name)
        for name, columns in REPLACED.items():
            batch_op.create_index(name, columns)
