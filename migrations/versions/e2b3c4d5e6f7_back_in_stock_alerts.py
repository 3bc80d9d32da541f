"""back-in-stock alerts

Revision ID: e2b3c4d5e6f7
Revises: e1a2b3c4d5f6
Create Date: 2026-12-02 18:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e2b3c4d5e6f7"
down_revision = "e1a2b3c4d5f6"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade():
    op.create_table(
        "stock_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'cancelled')",
            name=op.f("ck_stock_alerts_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_stock_alerts_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_stock_alerts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_alerts")),
    )
    with op.batch_alter_table("stock_alerts", schema=None) as batch_op:
        # One pending alert per product and address; also "who waits for this product".
        batch_op.create_index(
            "uq_stock_alerts_pending_product_email",
            ["product_id", "email"],
            unique=True,
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        )
        batch_op.create_index("ix_stock_alerts_email", ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_stock_alerts_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("stock_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_alerts_user_id"))
        batch_op.drop_index("ix_stock_alerts_email")
        batch_op.drop_index("uq_stock_alerts_pending_product_email")
    op.drop_table("stock_alerts")
