"""reviews, ratings and product questions

Revision ID: b1f2a3c4d5e6
Revises: 8414fe5536f1
Create Date: 2026-12-02 15:00:00

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "b1f2a3c4d5e6"
down_revision = "8414fe5536f1"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
