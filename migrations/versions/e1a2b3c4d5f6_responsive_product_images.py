"""responsive product images

A placeholder in the chain, filled by the work that owns it (no schema change yet).

Revision ID: e1a2b3c4d5f6
Revises: d3f4c5e6a7b8
Create Date: 2026-12-02 18:40:00

"""

# revision identifiers, used by Alembic.
revision = "e1a2b3c4d5f6"
down_revision = "d3f4c5e6a7b8"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
