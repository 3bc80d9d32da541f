"""analytics rollups

Slot reserved for analytics summary tables and report cache; filled in by that work.

Revision ID: f2b3c4d5e6f7
Revises: f1a2b3c4d5e6
Create Date: 2026-12-03 07:40:00

"""

# revision identifiers, used by Alembic.
revision = "f2b3c4d5e6f7"
down_revision = "f1a2b3c4d5e6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
