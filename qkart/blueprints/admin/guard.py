"""Who may do what in the staff area: every route declares a permission, one guard checks.

``@requires("orders")`` marks a view; ``check_permission`` runs before every request of
the staff blueprint and refuses visitors (to login), customers (403) and staff whose
role lacks the permission (403). A route that declares nothing is closed to everyone,
so a forgotten declaration fails safe.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import abort, current_app, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from qkart.accounts.models import PERMISSIONS
from qkart.extensions import login_manager

F = TypeVar("F", bound=Callable[..., object])
ANY_STAFF = "any staff"


def requires(permission: str) -> Callable[[F], F]:
    """Declare the permission a staff view needs (``ANY_STAFF`` for the home page)."""
    if permission != ANY_STAFF and permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def mark(view: F) -> F:
        view.permission = permission  # type: ignore[attr-defined]
        return view

    return mark


def required_permission(endpoint: str | None) -> str | None:
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, "permission", None)


def check_permission() -> ResponseReturnValue | None:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_staff:
        abort(403)
    needed = required_permission(request.endpoint)
    if needed is None or (needed != ANY_STAFF and not current_user.can(needed)):
        abort(403)
    return None
