"""back-in-stock alerts

A placeholder in the chain, filled by the work that owns it (no schema change yet).

Revision ID: e2b3c4d5e6f7
Revises: e1a2b3c4d5f6
Create Date: 2026-12-02 18:40:00

"""

# revision identifiers, used by Alembic.
revision = "e2b3c4d5e6f7"
down_revision = "e1a2b3c4d5f6"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
