"""analytics rollups

Daily summaries of the events for closed days (distinct sessions per funnel step and
device, searches per text), the state of those summaries, report runs (heavy report ranges computed by a worker, with progress, kept as a cache),
and the events' kind-and-time index made covering on PostgreSQL, so that the funnel of a
month of a million events is read from the index alone.

Revision ID: f2b3c4d5e6f7
Revises: f1a2b3c4d5e6
Create Date: 2026-12-03 07:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f2b3c4d5e6f7"
down_revision = "f1a2b3c4d5e6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_report_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("report", sa.String(length=120), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("done_steps", sa.Integer(), nullable=False),
        sa.Column("total_steps", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_report_runs")),
        sa.UniqueConstraint("key", name=op.f("uq_analytics_report_runs_key")),
    )
    op.create_index(
        "ix_analytics_report_runs_expires", "analytics_report_runs", ["expires_at"]
    )
    op.create_table(
        "analytics_daily",
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("device", sa.String(length=8), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("zone", "day", "kind", "device", name=op.f("pk_analytics_daily")),
    )
    op.create_table(
        "analytics_daily_searches",
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("q", sa.String(length=100), nullable=False),
        sa.Column("searches", sa.Integer(), nullable=False),
        sa.Column("empty", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("zone", "day", "q", name=op.f("pk_analytics_daily_searches")),
    )
    op.create_table(
        "analytics_rollup_state",
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("through", sa.Date(), nullable=True),
        sa.Column(
            "event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("zone", name=op.f("pk_analytics_rollup_state")),
    )
    op.drop_index("ix_analytics_events_kind_time", table_name="analytics_events")
    op.create_index(
        "ix_analytics_events_kind_time",
        "analytics_events",
        ["kind", "occurred_at"],
        postgresql_include=["session", "device", "order_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_analytics_events_kind_time", table_name="analytics_events")
    op.create_index("ix_analytics_events_kind_time", "analytics_events", ["kind", "occurred_at"])
    op.drop_table("analytics_rollup_state")
    op.drop_table("analytics_daily_searches")
    op.drop_table("analytics_daily")
    op.drop_index("ix_analytics_report_runs_expires", table_name="analytics_report_runs")
    op.drop_table("analytics_report_runs")
