"""Database helpers shared by every domain: the declarative base and UTC times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, DateTime, Engine, MetaData, Result, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so Alembic migrations can name what they alter or drop.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed: what every race-safe check reads.

    The ORM session types ``execute`` as returning a plain ``Result``; for these
    statements it is a ``CursorResult``, which carries the count.
    """
    return cast("CursorResult[Any]", result).rowcount


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC: the only clock the models use."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC that always comes back timezone-aware.

    SQLite drops the zone on the way in; re-attaching UTC on the way out keeps
    comparisons between database values and ``utcnow()`` correct on both engines.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use qkart.core.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every QKart model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    """``created_at`` set once, by the application clock, in UTC."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


def enforce_sqlite_foreign_keys(engine: Engine) -> None:
    """SQLite ignores foreign keys (and ON DELETE CASCADE) unless each connection asks."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def move_status(model: Any, row_id: int, current: str | None, target: str, **values: Any) -> bool:
    """``UPDATE <model> SET status = target WHERE id = row_id AND status = current``.

    The one race-safe way a status changes: of two actors that read the same status
    and both try to move it, exactly one gets True. ``values`` change in the same UPDATE.
    """
    from sqlalchemy import update

    from qkart.extensions import db

    result = db.session.execute(
        update(model)
        .where(model.id == row_id, model.status == current)
        .values(status=target, **values)
        .execution_options(synchronize_session=False)
    )
    return rows_changed(result) == 1
