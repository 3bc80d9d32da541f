"""web vitals

Per-day histograms of the LCP, INP and CLS that shoppers' browsers report, by page type
and device class: one row per (day, page, device, metric, bucket upper edge) with a
count, incremented by an upsert per beacon. A histogram rather than a row per beacon
keeps the table small and bounded (a few thousand rows a day at most) and lets the 75th
percentile be computed from a grouped SUM in the same way on SQLite and PostgreSQL. The
primary key leads with the day, which is how every report reads it. No personal data.

Revision ID: f1a2b3c4d5e6
Revises: e4d5e6f7a8b9
Create Date: 2026-12-03 07:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f1a2b3c4d5e6"
down_revision = "e4d5e6f7a8b9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_vital_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("page", sa.String(length=12), nullable=False),
        sa.Column("device", sa.String(length=8), nullable=False),
        sa.Column("metric", sa.String(length=3), nullable=False),
        sa.Column("upper", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "page", "device", "metric", "upper", name=op.f("pk_web_vital_counts")
        ),
    )


def downgrade() -> None:
    op.drop_table("web_vital_counts")
