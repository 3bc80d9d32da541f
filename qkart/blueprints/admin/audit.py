"""The audit log page, and the one helper every staff write uses to be recorded."""

from __future__ import annotations

from typing import Any

from flask import Response, request, url_for
from flask_login import current_user
from wtforms import StringField
from wtforms.validators import Length, Optional

from qkart.audit import services as audit_log
from qkart.blueprints.admin import bp
from qkart.blueprints.admin.guard import requires
from qkart.blueprints.common import page_number
from qkart.core.forms import DayField, Form
from qkart.core.htmx import render


def audit(
    action: str,
    target: Any = None,
    *,
    summary: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Record a staff write in its own transaction: who, what, before, after, from where."""
    audit_log.record(
        action,
        actor_id=current_user.id,
        actor_email=current_user.email,
        ip=request.remote_addr or "",
        target_type=type(target).__name__ if target is not None else "",
        target_id=getattr(target, "number", None) or getattr(target, "id", "") if target else "",
        summary=summary,
        before=before,
        after=audit_log.changes(before, after) if before is not None else after,
    )


class AuditFilterForm(Form):
    class Meta:
        csrf = False  # a GET filter changes nothing

    actor = StringField("Who (e-mail contains)", validators=[Optional(), Length(max=100)])
    action = StringField("What (starts with)", validators=[Optional(), Length(max=60)])
    since = DayField("From", validators=[Optional()])
    until = DayField("Until", validators=[Optional()])


@bp.get("/audit")
@requires("settings")
def audit_page() -> Response:
    form = AuditFilterForm(request.args)
    valid = form.validate() if request.args else True
    entries = audit_log.search(
        actor=(form.actor.data or "") if valid else "",
        action=(form.action.data or "") if valid else "",
        since=form.since.data if valid else None,
        until=form.until.data if valid else None,
        page=page_number(request.args.get("page")),
    )
    keep: dict[str, Any] = {k: v for k, v in request.args.items() if k in form.data and v}
    return render(
        "admin/audit.html",
        status=200 if valid else 422,
        form=form,
        entries=entries,
        page_url=lambda n: url_for(".audit_page", page=n, **keep),
    )
