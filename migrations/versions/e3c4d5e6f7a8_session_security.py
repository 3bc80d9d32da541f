"""session security

A placeholder in the chain, filled by the work that owns it (no schema change yet).

Revision ID: e3c4d5e6f7a8
Revises: e2b3c4d5e6f7
Create Date: 2026-12-02 18:40:00

"""

# revision identifiers, used by Alembic.
revision = "e3c4d5e6f7a8"
down_revision = "e2b3c4d5e6f7"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
