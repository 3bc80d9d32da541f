"""The address book: shipping addresses a shopper keeps, one of them the default.

Orders copy the address they ship to, so editing or deleting one here never
changes a placed order.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from babel import Locale
from sqlalchemy import func, select, update

from qkart.accounts.errors import AddressNotFoundError
from qkart.accounts.models import Address
from qkart.extensions import db
from qkart.settings.services import setting


@lru_cache(maxsize=8)
def countries(locale: str = "en_US") -> tuple[tuple[str, str], ...]:
    """ISO 3166 alpha-2 codes with their names, sorted by name, from Babel's CLDR data."""
    names = Locale.parse(locale).territories
    pairs = [(code, name) for code, name in names.items() if len(code) == 2 and code.isalpha()]
    excluded = {"ZZ", "EU", "EZ", "UN", "QO", "XA", "XB", "XK"}
    return tuple(sorted((p for p in pairs if p[0] not in excluded), key=lambda p: p[1]))


def shop_countries() -> tuple[tuple[str, str], ...]:
    return countries(setting("QKART_LOCALE"))


def list_addresses(user_id: int) -> Sequence[Address]:
    stmt = (
        select(Address)
        .where(Address.user_id == user_id)
        .order_by(Address.is_default.desc(), Address.id)
    )
    return db.session.scalars(stmt).all()


def get_address(user_id: int, address_id: int) -> Address:
    """The shopper's own address; another person's id is treated as unknown."""
    address = db.session.get(Address, address_id)
    if address is None or address.user_id != user_id:
        raise AddressNotFoundError()
    return address


def add_address(user_id: int, fields: dict[str, str], *, make_default: bool = False) -> Address:
    """Save an address; the first one becomes the default shipping address."""
    has_any = db.session.scalar(
        select(func.count()).select_from(Address).where(Address.user_id == user_id)
    )
    clean = {k: (fields.get(k) or "").strip() for k in Address.FIELDS}
    clean["country"] = clean["country"].upper()
    address = Address(user_id=user_id, **clean)
    db.session.add(address)
    db.session.flush()
    if make_default or not has_any:
        set_default_address(user_id, address.id)
    return address


def update_address(user_id: int, address_id: int, fields: dict[str, str]) -> Address:
    address = get_address(user_id, address_id)
    for key in Address.FIELDS:
        setattr(address, key, (fields.get(key) or "").strip())
    address.country = address.country.upper()
    return address


def set_default_address(user_id: int, address_id: int) -> Address:
    address = get_address(user_id, address_id)
    db.session.execute(
        update(Address)
        .where(Address.user_id == user_id, Address.id != address_id)
        .values(is_default=False)
        .execution_options(synchronize_session="fetch")
    )
    address.is_default = True
    return address


def delete_address(user_id: int, address_id: int) -> None:
    """Remove an address; orders keep their own copy, so history is untouched."""
    address = get_address(user_id, address_id)
    was_default = address.is_default
    db.session.delete(address)
    db.session.flush()
    if was_default:
        remaining = list_addresses(user_id)
        if remaining:
            set_default_address(user_id, remaining[0].id)
