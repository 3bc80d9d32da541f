"""Users and their addresses."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from qkart.core.db import TimestampMixin, UTCDateTime
from qkart.extensions import Model

ROLES = ("customer", "manager", "admin", "owner")
# What staff may do, by area of the shop; a role is a set of these.
PERMISSIONS = {
    "catalogue": "Products and categories",
    "stock": "Stock levels",
    "orders": "Orders, shipping and returns",
    "refunds": "Refunds",
    "customers": "Customers and their wallets",
    "coupons": "Promo codes",
    "settings": "Shop settings, delivery options and taxes",
    "reports": "Sales analytics and reports",
    "staff": "Staff accounts and their roles",
}
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "customer": frozenset(),
    "manager": frozenset({"catalogue", "stock", "orders"}),
    "admin": frozenset(PERMISSIONS) - {"staff"},
    "owner": frozenset(PERMISSIONS),
}
STAFF_ROLES = frozenset(role for role, allowed in ROLE_PERMISSIONS.items() if allowed)
ROLE_LABELS = {"customer": "Customer", "manager": "Manager", "admin": "Admin", "owner": "Owner"}


class User(UserMixin, TimestampMixin, Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('customer', 'manager', 'admin', 'owner')", name="known_role"),
        # Staff find customers (and their orders) by part of a name or e-mail address.
        Index(
            "ix_users_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
        Index(
            "ix_users_email_trgm",
            "email",
            postgresql_using="gin",
            postgresql_ops={"email": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so uniqueness holds regardless of case.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="customer")
    # Bumped on password change/reset: every other session's cookie stops matching.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    pending_email: Mapped[str | None] = mapped_column(String(254), default=None)
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The last accepted TOTP time step: the same code cannot be used twice.
    totp_last_counter: Mapped[int | None] = mapped_column(BigInteger, default=None)
    recovery_codes: Mapped[str | None] = mapped_column(Text, default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Set by staff: a blocked account cannot log in (its sessions end) or order.
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    def get_id(self) -> str:
        """Flask-Login's session key: the id and the session version together."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None

    @property
    def is_blocked(self) -> bool:
        return self.blocked_at is not None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role in ("admin", "owner")

    @property
    def permissions(self) -> frozenset[str]:
        return ROLE_PERMISSIONS.get(self.role, frozenset())

    def can(self, permission: str) -> bool:
        """Whether this member of staff may work in ``permission``'s area of the shop."""
        return permission in self.permissions

    @property
    def has_2fa(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else self.name

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class Address(TimestampMixin, Model):
    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    full_name: Mapped[str] = mapped_column(String(100))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(100), default="")
    postal_code: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str] = mapped_column(String(30), default="")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)

    FIELDS = ("full_name", "line1", "line2", "city", "region", "postal_code", "country", "phone")

    def as_dict(self) -> dict[str, str]:
        """The copy an order keeps, so later edits never change a placed order."""
        return {field: getattr(self, field) or "" for field in self.FIELDS}


class StaffInvitation(TimestampMixin, Model):
    """An e-mailed invitation to join the staff with a role; the link is signed."""

    __tablename__ = "staff_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[str] = mapped_column(String(20))
    invited_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
