"""Categories and products. Prices are integer minor units of the store currency."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qkart.core.db import TimestampMixin
from qkart.core.money import Money
from qkart.core.shop import money
from qkart.extensions import db

LOW_STOCK = 5


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<Category {self.slug}>"


class Product(TimestampMixin, db.Model):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("weight_grams >= 0", name="weight_not_negative"),
        # One index per listing order (catalog.services.ORDERS), so a page of a
        # large catalogue is read from an index instead of sorting every product.
        Index("ix_products_active_category", "is_active", "category_id"),
        Index("ix_products_active_price", "is_active", "price", "id"),
        Index("ix_products_listing", "is_active", "featured", "sold_count", "id"),
        Index("ix_products_popular", "is_active", "sold_count", "id"),
        Index("ix_products_rating", "is_active", "rating", "rating_count", "id"),
        Index("ix_products_newest", "is_active", "created_at", "id"),
        # Search: "name ILIKE '%q%'" served by trigrams on PostgreSQL (a plain index elsewhere).
        Index(
            "ix_products_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
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
    # Soft delete: old orders still point at a retired product.
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

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
    def stars(self) -> int:
        """Whole stars to draw, rounded half-up from the average rating."""
        return int(Decimal(self.rating or 0).to_integral_value(rounding="ROUND_HALF_UP"))

    def __repr__(self) -> str:
        return f"<Product {self.sku}>"
