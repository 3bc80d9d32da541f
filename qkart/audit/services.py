"""Writing the audit log, in the transaction of the change it records, and reading it.

Values are stored as JSON-safe text (amounts in minor units, dates as ISO strings),
so the log can be read without the code that wrote it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select

from qkart.audit.models import AuditEntry
from qkart.core.pagination import Page, paginate
from qkart.extensions import db


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 7.000 and 7 are the same rate
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The ``fields`` of ``obj`` as they are now, for a before or after."""
    return {name: _plain(getattr(obj, name, None)) for name in fields}


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """Only what differs, so a long form's entry shows the one field that changed."""
    before, after = before or {}, after or {}
    return {k: v for k, v in after.items() if before.get(k) != v}


def record(
    action: str,
    *,
    actor_id: int | None,
    actor_email: str,
    ip: str,
    target_type: str = "",
    target_id: object = "",
    summary: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        actor_id=actor_id,
        actor_email=actor_email,
        action=action,
        target_type=target_type,
        target_id=str(target_id)[:60],
        summary=summary[:200],
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
        ip=ip[:45],
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def search(
    *,
    actor: str = "",
    action: str = "",
    since: date | None = None,
    until: date | None = None,
    page: int = 1,
) -> Page[AuditEntry]:
    """Entries newest first, filtered by who (e-mail contains), what (action starts with)
    and a date range."""
    stmt: Select[AuditEntry] = select(AuditEntry)
    if actor:
        stmt = stmt.where(AuditEntry.actor_email.icontains(actor, autoescape=True))
    if action:
        stmt = stmt.where(AuditEntry.action.istartswith(action, autoescape=True))
    if since:
        stmt = stmt.where(AuditEntry.created_at >= _midnight(since))
    if until:
        stmt = stmt.where(AuditEntry.created_at < _midnight(until) + timedelta(days=1))
    stmt = stmt.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    return paginate(stmt, page, 50)
