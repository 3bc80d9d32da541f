"""full-text product search

PostgreSQL: a weighted ``tsvector`` column on products (name A; brand and category
B; description D) kept by a trigger, and its GIN index. SQLite: an FTS5 table kept
by triggers. Both also follow a category's rename. These objects are not in the
models (see ``qkart.search``); existing products are indexed here.

Revision ID: d3f4c5e6a7b8
Revises: c2e3b4d5f6a7
Create Date: 2026-12-02 15:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "d3f4c5e6a7b8"
down_revision = "c2e3b4d5f6a7"
branch_labels = None
depends_on = None

PG_VECTOR = """
    setweight(to_tsvector('english', coalesce(NEW.name, '')), 'A')
    || setweight(to_tsvector('english', coalesce(NEW.brand, '')), 'B')
    || setweight(to_tsvector('english', coalesce(
        (SELECT name FROM categories WHERE id = NEW.category_id), '')), 'B')
    || setweight(to_tsvector('english', left(coalesce(NEW.description, ''), 4000)), 'D')
"""

PG_UP = [
    "ALTER TABLE products ADD COLUMN search_vector tsvector",
    f"""
    CREATE FUNCTION products_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.search_vector := {PG_VECTOR};
      RETURN NEW;
    END $$
    """,
    # Stock and price updates (every order) leave the vector alone.
    """
    CREATE TRIGGER products_search_vector
    BEFORE INSERT OR UPDATE OF name, brand, description, category_id ON products
    FOR EACH ROW EXECUTE FUNCTION products_search_vector()
    """,
    """
    CREATE FUNCTION categories_search_rename() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE products SET name = name WHERE category_id = NEW.id;
      RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER categories_search_rename
    AFTER UPDATE OF name ON categories
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION categories_search_rename()
    """,
    "UPDATE products SET name = name",
    "CREATE INDEX ix_products_search ON products USING gin (search_vector)",
]
PG_DOWN = [
    "DROP TRIGGER IF EXISTS categories_search_rename ON categories",
    "DROP FUNCTION IF EXISTS categories_search_rename()",
    "DROP TRIGGER IF EXISTS products_search_vector ON products",
    "DROP FUNCTION IF EXISTS products_search_vector()",
    "DROP INDEX IF EXISTS ix_products_search",
    "ALTER TABLE products DROP COLUMN IF EXISTS search_vector",
]

SQLITE_ROW = (
    "SELECT {p}.id, {p}.name, {p}.brand, "
    "(SELECT name FROM categories WHERE id = {p}.category_id), {p}.description"
)
SQLITE_UP = [
    """
    CREATE VIRTUAL TABLE IF NOT EXISTS product_fts
    USING fts5(name, brand, category, description, tokenize = 'porter unicode61')
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS product_fts_insert AFTER INSERT ON products BEGIN
      INSERT INTO product_fts (rowid, name, brand, category, description)
      {SQLITE_ROW.format(p="new")};
    END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS product_fts_update
    AFTER UPDATE OF name, brand, description, category_id ON products BEGIN
      DELETE FROM product_fts WHERE rowid = old.id;
      INSERT INTO product_fts (rowid, name, brand, category, description)
      {SQLITE_ROW.format(p="new")};
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS product_fts_delete AFTER DELETE ON products BEGIN
      DELETE FROM product_fts WHERE rowid = old.id;
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS product_fts_category AFTER UPDATE OF name ON categories
    WHEN old.name IS NOT new.name BEGIN
      UPDATE products SET name = name WHERE category_id = new.id;
    END
    """,
    "DELETE FROM product_fts",
    "INSERT INTO product_fts (rowid, name, brand, category, description) "
    + SQLITE_ROW.format(p="products")
    + " FROM products",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS product_fts_category",
    "DROP TRIGGER IF EXISTS product_fts_delete",
    "DROP TRIGGER IF EXISTS product_fts_update",
    "DROP TRIGGER IF EXISTS product_fts_insert",
    "DROP TABLE IF EXISTS product_fts",
]


def _run(statements):
    for statement in statements:
        op.execute(statement)


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    _run(PG_UP if postgres else SQLITE_UP)


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    _run(PG_DOWN if postgres else SQLITE_DOWN)
