"""analytics events

One table of first-party events (no personal data), indexed by kind and time.

Revision ID: e4d5e6f7a8b9
Revises: e2b3c4d5e6f7
Create Date: 2026-12-02 19:45:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e4d5e6f7a8b9"
down_revision = "e2b3c4d5e6f7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "analytics_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("session", sa.String(length=32), nullable=True),
        sa.Column("device", sa.String(length=8), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_events")),
    )
    op.create_index(
        "ix_analytics_events_kind_time", "analytics_events", ["kind", "occurred_at"]
    )
    op.create_index("ix_analytics_events_order", "analytics_events", ["order_id"])


def downgrade():
    op.drop_index("ix_analytics_events_order", table_name="analytics_events")
    op.drop_index("ix_analytics_events_kind_time", table_name="analytics_events")
    op.drop_table("analytics_events")
