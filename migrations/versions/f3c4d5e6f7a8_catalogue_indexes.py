"""catalogue indexes

Slot reserved for indexes for the hot catalogue queries; filled in by that work.

Revision ID: f3c4d5e6f7a8
Revises: f2b3c4d5e6f7
Create Date: 2026-12-03 07:40:00

"""

# revision identifiers, used by Alembic.
revision = "f3c4d5e6f7a8"
down_revision = "f2b3c4d5e6f7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
