"""wishlists, recently viewed, recommendations

Revision ID: c2e3b4d5f6a7
Revises: b1f2a3c4d5e6
Create Date: 2026-12-02 15:00:00

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "c2e3b4d5f6a7"
down_revision = "b1f2a3c4d5e6"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
