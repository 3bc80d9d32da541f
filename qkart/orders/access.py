"""Signed links to an order page, for guests (and for e-mails that must work anywhere).

A guest has no account to prove who they are; the confirmation e-mail and the
page after checkout carry a link signed with the shop's key that opens exactly
one order. It names the order and its contact address, so it dies if the order
is anonymised (account deletion).
"""

from __future__ import annotations

import hashlib

from itsdangerous import BadSignature, URLSafeSerializer

from qkart.core.signing import untimed_serializer
from qkart.orders.errors import OrderNotFoundError
from qkart.orders.models import Order
from qkart.orders.services import get_order

SALT = "qkart.order-access"


def _serializer() -> URLSafeSerializer:
    return untimed_serializer(SALT)


def _fingerprint(order: Order) -> str:
    return hashlib.sha256(order.contact_email.lower().encode()).hexdigest()[:12]


def access_token(order: Order) -> str:
    """The token of ``order``'s signed link (no expiry: it is the guest's receipt)."""
    return str(_serializer().dumps({"n": order.number, "e": _fingerprint(order)}))


def order_from_token(number: str, token: str) -> Order:
    """The order a signed link opens; any mismatch is 'not found' (nothing to probe)."""
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        raise OrderNotFoundError() from None
    if not isinstance(payload, dict) or payload.get("n") != number.strip().upper():
        raise OrderNotFoundError()
    order = get_order(number)
    if payload.get("e") != _fingerprint(order):
        raise OrderNotFoundError()
    return order
