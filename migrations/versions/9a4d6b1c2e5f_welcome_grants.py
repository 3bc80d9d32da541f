"""welcome grants: the welcome credit once per e-mail address

Revision ID: 9a4d6b1c2e5f
Revises: 7c1e2f0a9b3d
Create Date: 2026-11-24 07:55:00

"""

import hashlib
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "9a4d6b1c2e5f"
down_revision = "7c1e2f0a9b3d"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "welcome_grants",
        sa.Column("email_digest", sa.String(length=64), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("email_digest", name=op.f("pk_welcome_grants")),
    )
    # Addresses that already had the credit go on the list (hashed as the app does).
    bind = op.get_bind()
    emails = bind.execute(
        sa.text(
            "SELECT DISTINCT users.email FROM users JOIN wallet_entries "
            "ON wallet_entries.user_id = users.id WHERE wallet_entries.kind = 'welcome'"
        )
    ).scalars()
    now = datetime.now(UTC)
    rows = [
        {"email_digest": hashlib.sha256(email.strip().lower().encode()).hexdigest(), "at": now}
        for email in emails
    ]
    if rows:
        bind.execute(
            sa.text("INSERT INTO welcome_grants (email_digest, granted_at) VALUES (:email_digest, :at)"),
            rows,
        )


def downgrade():
    op.drop_table("welcome_grants")
