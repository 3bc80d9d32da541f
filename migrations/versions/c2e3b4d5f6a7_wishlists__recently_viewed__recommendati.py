"""wishlists, recently viewed, recommendations

Revision ID: c2e3b4d5f6a7
Revises: b1f2a3c4d5e6
Create Date: 2026-12-02 15:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c2e3b4d5f6a7"
down_revision = "b1f2a3c4d5e6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "wishlist_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_wishlist_items_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_wishlist_items_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wishlist_items")),
        # Also the index of "this shopper's wishlist" (user_id comes first).
        sa.UniqueConstraint("user_id", "product_id", name="uq_wishlist_items_user_product"),
    )
    op.create_index(
        op.f("ix_wishlist_items_product_id"), "wishlist_items", ["product_id"], unique=False
    )

    op.create_table(
        "recently_viewed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("visitor_token", sa.String(length=64), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("viewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(user_id IS NULL) <> (visitor_token IS NULL)",
            name=op.f("ck_recently_viewed_one_viewer"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_recently_viewed_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_recently_viewed_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recently_viewed")),
        # The keys of the upsert that records a view (one row per viewer and product).
        sa.UniqueConstraint("user_id", "product_id", name="uq_recently_viewed_user_product"),
        sa.UniqueConstraint(
            "visitor_token", "product_id", name="uq_recently_viewed_visitor_token_product"
        ),
    )
    with op.batch_alter_table("recently_viewed", schema=None) as batch_op:
        batch_op.create_index(
            "ix_recently_viewed_user_viewed", ["user_id", "viewed_at"], unique=False
        )
        batch_op.create_index(
            "ix_recently_viewed_visitor_viewed", ["visitor_token", "viewed_at"], unique=False
        )
        batch_op.create_index("ix_recently_viewed_viewed_at", ["viewed_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_recently_viewed_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "product_recommendations",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("other_product_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "product_id <> other_product_id", name=op.f("ck_product_recommendations_not_itself")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_recommendations_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["other_product_id"],
            ["products.id"],
            name=op.f("fk_product_recommendations_other_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "product_id", "other_product_id", name=op.f("pk_product_recommendations")
        ),
    )
    with op.batch_alter_table("product_recommendations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_product_recommendations_product_score", ["product_id", "score"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_product_recommendations_other_product_id"),
            ["other_product_id"],
            unique=False,
        )

    op.create_table(
        "recommendation_runs",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pairs", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_recommendation_runs")),
    )


def downgrade():
    op.drop_table("recommendation_runs")
    with op.batch_alter_table("product_recommendations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_recommendations_other_product_id"))
        batch_op.drop_index("ix_product_recommendations_product_score")
    op.drop_table("product_recommendations")
    with op.batch_alter_table("recently_viewed", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recently_viewed_product_id"))
        batch_op.drop_index("ix_recently_viewed_viewed_at")
        batch_op.drop_index("ix_recently_viewed_visitor_viewed")
        batch_op.drop_index("ix_recently_viewed_user_viewed")
    op.drop_table("recently_viewed")
    op.drop_index(op.f("ix_wishlist_items_product_id"), table_name="wishlist_items")
    op.drop_table("wishlist_items")
