"""analytics events

A placeholder in the chain, filled by the work that owns it (no schema change yet).

Revision ID: e4d5e6f7a8b9
Revises: e3c4d5e6f7a8
Create Date: 2026-12-02 19:00:00

"""

# revision identifiers, used by Alembic.
revision = "e4d5e6f7a8b9"
down_revision = "e3c4d5e6f7a8"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
