"""What staff do to accounts: find customers, block them, invite staff, change roles.

Invitations are rows (so the owner sees who was asked, and can revoke) with a signed,
expiring link; accepting makes a new account with the role, or gives the role to the
account that already has the address (after it logs in).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from qkart.accounts.errors import EmailTakenError
from qkart.accounts.models import ROLE_PERMISSIONS, STAFF_ROLES, StaffInvitation, User
from qkart.accounts.services import (
    bump_session_version,
    find_user_by_email,
    mark_verified,
    normalise_email,
    register_user,
)
from qkart.accounts.tokens import ExpiredTokenError, InvalidTokenError
from qkart.core.db import utcnow
from qkart.core.errors import ConflictError, DomainError, NotFoundError
from qkart.core.pagination import Page, paginate
from qkart.core.signing import serializer
from qkart.extensions import db, queue

INVITATION_SALT = "qkart.staff-invitation"
INVITATION_LIFETIME = timedelta(days=7)


def customers_page(text: str = "", page: int = 1) -> Page[User]:
    stmt = select(User).where(User.deleted_at.is_(None), User.role == "customer")
    if text:
        stmt = stmt.where(
            User.email.icontains(text, autoescape=True) | User.name.icontains(text, autoescape=True)
        )
    return paginate(stmt.order_by(User.created_at.desc(), User.id.desc()), page, 25)


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFoundError("We could not find that account.")
    return user


def set_blocked(user: User, blocked: bool) -> None:
    """Block (sessions end at once, no login, no orders) or unblock an account."""
    if blocked and user.is_staff:
        raise DomainError("Staff accounts are not blocked; change their role instead.")
    user.blocked_at = utcnow() if blocked else None
    if blocked:
        bump_session_version(user)
    db.session.flush()


def staff_members() -> Sequence[User]:
    return db.session.scalars(
        select(User)
        .where(User.role.in_(STAFF_ROLES), User.deleted_at.is_(None))
        .order_by(User.name)
    ).all()


def set_role(user: User, role: str, *, by: User) -> None:
    """Give an account a role; the shop always keeps an owner."""
    if role not in ROLE_PERMISSIONS:
        raise DomainError("Choose a role from the list.", field="role")
    if user.role == "owner" and role != "owner":
        owners = db.session.scalar(
            select(func.count()).where(User.role == "owner", User.deleted_at.is_(None))
        )
        if (owners or 0) <= 1:
            raise ConflictError("The shop needs an owner: make someone else owner first.")
    user.role = role
    bump_session_version(user)  # their open pages pick up the new permissions on next login
    db.session.flush()


def open_invitations() -> Sequence[StaffInvitation]:
    return db.session.scalars(
        select(StaffInvitation)
        .where(StaffInvitation.accepted_at.is_(None), StaffInvitation.revoked_at.is_(None))
        .order_by(StaffInvitation.created_at.desc())
    ).all()


def invite(email: str, role: str, *, by: User) -> StaffInvitation:
    if role not in STAFF_ROLES:
        raise DomainError("Choose a staff role.", field="role")
    email = normalise_email(email)
    existing = find_user_by_email(email)
    if existing is not None and existing.is_staff:
        raise EmailTakenError("This address already belongs to a member of staff.")
    invitation = StaffInvitation(email=email, role=role, invited_by=by.id)
    db.session.add(invitation)
    db.session.flush()
    queue.after_commit(db.session(), "mail.send_staff_invitation", invitation.id)
    return invitation


def revoke(invitation_id: int) -> None:
    invitation = db.session.get(StaffInvitation, invitation_id)
    if invitation is not None and invitation.accepted_at is None:
        invitation.revoked_at = utcnow()
        db.session.flush()


def _serializer() -> URLSafeTimedSerializer:
    return serializer(INVITATION_SALT)


def invitation_token(invitation: StaffInvitation) -> str:
    return str(_serializer().dumps({"i": invitation.id, "e": invitation.email}))


def read_invitation(token: str) -> StaffInvitation:
    try:
        claims = _serializer().loads(token, max_age=int(INVITATION_LIFETIME.total_seconds()))
    except SignatureExpired:
        raise ExpiredTokenError("This invitation has expired. Ask for a new one.") from None
    except BadSignature:
        raise InvalidTokenError("This invitation link is not valid.") from None
    invitation = db.session.get(
        StaffInvitation, claims.get("i") if isinstance(claims, dict) else None
    )
    if (
        invitation is None
        or invitation.email != claims.get("e")
        or invitation.revoked_at is not None
        or invitation.accepted_at is not None
    ):
        raise InvalidTokenError("This invitation was used or withdrawn.")
    return invitation


def accept(token: str, *, name: str | None, password: str | None, current: User | None) -> User:
    """Join the staff: as the signed-in account with the invited address, or as a new one."""
    invitation = read_invitation(token)
    account = find_user_by_email(invitation.email)
    if account is not None:
        if current is None or current.id != account.id:
            raise InvalidTokenError(
                f"Log in as {invitation.email} first: this invitation is for that account."
            )
    else:
        if not name or not password:
            raise DomainError("Choose your name and a password.", field="name")
        account = register_user(name, invitation.email, password)
        mark_verified(account)  # the invitation came to this address
    account.role = invitation.role
    invitation.accepted_at = utcnow()
    db.session.flush()
    return account
