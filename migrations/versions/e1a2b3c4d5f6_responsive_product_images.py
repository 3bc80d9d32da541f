"""responsive product images

Every uploaded product picture gets widths (240, 480, 960 at most, never above the
original) in AVIF (where Pillow can write it), WebP and JPEG, made by a worker job.

Revision ID: e1a2b3c4d5f6
Revises: d3f4c5e6a7b8
Create Date: 2026-12-02 18:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "e1a2b3c4d5f6"
down_revision = "d3f4c5e6a7b8"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "product_image_variants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("image_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=16), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "format IN ('avif', 'webp', 'jpeg')",
            name=op.f("ck_product_image_variants_format_known"),
        ),
        sa.ForeignKeyConstraint(
            ["image_id"],
            ["product_images.id"],
            name=op.f("fk_product_image_variants_image_id_product_images"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_image_variants")),
        sa.UniqueConstraint(
            "image_id", "format", "width", name="uq_product_image_variants_size"
        ),
    )


def downgrade():
    op.drop_table("product_image_variants")
