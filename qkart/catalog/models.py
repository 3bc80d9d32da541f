"""Categories and products. Prices are integer minor units of the store currency."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from qkart.core.db import TimestampMixin, UTCDateTime
from qkart.core.money import Money
from qkart.core.shop import money
from qkart.extensions import Model

LOW_STOCK = 5


class Category(Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # A tree: top categories have no parent.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL"), index=True, default=None
    )
    description: Mapped[str] = mapped_column(Text, default="")
    # What staff describe this category's products by ("Size, Colour"), one name per line.
    attribute_names: Mapped[str] = mapped_column(Text, default="")

    @property
    def attributes(self) -> list[str]:
        return [n.strip() for n in self.attribute_names.splitlines() if n.strip()]

    def __repr__(self) -> str:
        return f"<Category {self.slug}>"


class Product(TimestampMixin, Model):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("weight_grams >= 0", name="weight_not_negative"),
        # One index per listing order (catalog.services.ORDERS), so a page of a
        # large catalogue is read from an index instead of sorting every product. Price
        # and newest lead with their column (publishing state included), so the staff
        # list, which shows drafts too, sorts by the same indexes.
        Index("ix_products_price", "price", "id", postgresql_include=["is_active"]),
        Index("ix_products_listing", "is_active", "featured", "sold_count", "id"),
        Index("ix_products_popular", "is_active", "sold_count", "id"),
        Index("ix_products_rating", "is_active", "rating", "rating_count", "id"),
        Index("ix_products_created", "created_at", "id", postgresql_include=["is_active"]),
        # Counts (a listing's total, facets, the category tree, the staff list's total)
        # read every product they count: this narrow copy of the columns they filter
        # and group by answers them from the index alone on PostgreSQL.
        Index(
            "ix_products_facets",
            "is_active",
            "category_id",
            postgresql_include=["brand", "price", "rating", "stock", "retired_at"],
        ),
        # Staff lists: by name (the default), and by stock for "running low". The name
        # index also holds what search's typo fixer reads of every product it sells.
        Index("ix_products_name", "name", "id", postgresql_include=["is_active", "brand"]),
        Index(
            "ix_products_stock",
            "stock",
            "id",
            postgresql_include=["is_active", "retired_at", "low_stock_threshold"],
        ),
        # Search: "name ILIKE '%q%'" served by trigrams on PostgreSQL (a plain index
        # elsewhere); staff also find products by the start of their SKU.
        Index(
            "ix_products_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
        Index(
            "ix_products_sku_trgm",
            "sku",
            postgresql_using="gin",
            postgresql_ops={"sku": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    slug: Mapped[str] = mapped_column(String(160), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    price: Mapped[int] = mapped_column(Integer)
    rating: Mapped[Decimal] = mapped_column(Numeric(2, 1), default=Decimal("0.0"))
    rating_count: Mapped[int] = mapped_column(Integer, default=0)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    sold_count: Mapped[int] = mapped_column(Integer, default=0)
    image: Mapped[str] = mapped_column(String(200), default="")
    # For weight-based shipping rates; 0 when unknown.
    weight_grams: Mapped[int] = mapped_column(Integer, default=0)
    # Which tax rate of the destination applies (qkart.pricing.models.TAX_CLASSES).
    tax_class: Mapped[str] = mapped_column(String(20), default="standard")
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    # Published: sold in the shop. Unpublished products (drafts) and retired ones are not.
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Soft delete: old orders still point at a retired product.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    compare_at_price: Mapped[int | None] = mapped_column(Integer, default=None)
    brand: Mapped[str] = mapped_column(String(80), default="")
    # The category's attribute names with this product's values.
    attributes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    seo_title: Mapped[str] = mapped_column(String(70), default="")
    seo_description: Mapped[str] = mapped_column(String(160), default="")
    # Staff are warned at or below this (None: the shop's default).
    low_stock_threshold: Mapped[int | None] = mapped_column(Integer, default=None)

    category: Mapped[Category] = relationship(lazy="raise_on_sql")

    @property
    def price_money(self) -> Money:
        return money(self.price)

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    @property
    def low_stock(self) -> bool:
        return 0 < self.stock <= LOW_STOCK

    @property
    def specifications(self) -> list[tuple[str, str]]:
        """Brand, then the attributes staff fill in, in the order the category names
        them (any others after), without empty values."""
        values = {k: str(v).strip() for k, v in (self.attributes or {}).items() if str(v).strip()}
        named = self.category.attributes if self.category else []
        order = [n for n in named if n in values] + [n for n in values if n not in named]
        specs = [("Brand", self.brand)] if self.brand else []
        return specs + [(name, values[name]) for name in order]

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    @property
    def stars(self) -> int:
        """Whole stars to draw, rounded half-up from the average rating."""
        return int(Decimal(self.rating or 0).to_integral_value(rounding="ROUND_HALF_UP"))

    def __repr__(self) -> str:
        return f"<Product {self.sku}>"


class ProductImage(TimestampMixin, Model):
    """An uploaded picture of a product, kept in the database so every process serves it."""

    __tablename__ = "product_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    alt: Mapped[str] = mapped_column(String(200), default="")
    content_type: Mapped[str] = mapped_column(String(30))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    # A digest of the bytes: part of the URL, so a browser may keep it forever.
    digest: Mapped[str] = mapped_column(String(16))
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))

    @property
    def path(self) -> str:
        extension = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
        return f"media/{self.id}-{self.digest}.{extension.get(self.content_type, 'img')}"


# Responsive sizes of an uploaded picture: what each format is called in a URL.
VARIANT_FORMATS = {"avif": "image/avif", "webp": "image/webp", "jpeg": "image/jpeg"}
VARIANT_EXTENSIONS = {"avif": "avif", "webp": "webp", "jpeg": "jpg"}


class ProductImageVariant(TimestampMixin, Model):
    """One width of an uploaded picture in one format (AVIF, WebP or JPEG), made by a job.

    Pages offer them in ``srcset`` lists so a phone downloads a small file; until the
    job has made them, pages show the original.
    """

    __tablename__ = "product_image_variants"
    __table_args__ = (
        UniqueConstraint("image_id", "format", "width", name="uq_product_image_variants_size"),
        CheckConstraint("format IN ('avif', 'webp', 'jpeg')", name="format_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    image_id: Mapped[int] = mapped_column(ForeignKey("product_images.id", ondelete="CASCADE"))
    format: Mapped[str] = mapped_column(String(10))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    # A digest of these bytes: part of the URL, so a browser may keep it forever.
    digest: Mapped[str] = mapped_column(String(16))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))

    @property
    def content_type(self) -> str:
        return VARIANT_FORMATS[self.format]

    @property
    def path(self) -> str:
        return f"media/v/{self.id}-{self.digest}.{VARIANT_EXTENSIONS[self.format]}"


class StockMovement(TimestampMixin, Model):
    """One change of a product's stock and why: received, sold, damaged, returned..."""

    __tablename__ = "stock_movements"
    __table_args__ = (Index("ix_stock_movements_product_created", "product_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    delta: Mapped[int] = mapped_column(Integer)
    stock_after: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(200), default="")
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )


IMPORT_STATUSES = ("queued", "checking", "saving", "done", "rejected", "failed")


class ProductImport(TimestampMixin, Model):
    """One CSV file of products staff uploaded, and how its import went.

    The file is kept with the row so a worker can read it; the report (each bad row
    with its line number) stays for staff to read. ``rejected`` means bad rows were
    found and nothing was changed; ``failed`` means the import itself broke.
    """

    __tablename__ = "product_imports"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'checking', 'saving', 'done', 'rejected', 'failed')",
            name="status_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    status: Mapped[str] = mapped_column(String(10), default="queued")
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    checked_rows: Mapped[int] = mapped_column(Integer, default=0)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    # [{"line": 12, "column": "price", "reason": "..."}], the first REPORT_LIMIT of them.
    errors: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    @property
    def running(self) -> bool:
        return self.status in ("queued", "checking", "saving")
