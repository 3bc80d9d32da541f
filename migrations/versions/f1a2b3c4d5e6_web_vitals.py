"""web vitals

Slot reserved for the web-vitals beacon's storage; filled in by that work.

Revision ID: f1a2b3c4d5e6
Revises: e4d5e6f7a8b9
Create Date: 2026-12-03 07:40:00

"""

# revision identifiers, used by Alembic.
revision = "f1a2b3c4d5e6"
down_revision = "e4d5e6f7a8b9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
