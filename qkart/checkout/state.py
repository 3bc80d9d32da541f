"""Where a checkout stands: the cart priced with the shopper's choices so far.

``checkout_state`` is the one place that turns a cart plus choices (address,
delivery, coupon, payment) into a ``Breakdown`` and the options of each step.
The cart page, the checkout page and ``place_order`` all call it, so the cart
shows the same numbers the order will keep.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import select

from qkart.accounts.models import Address
from qkart.cart.services import CartSummary
from qkart.core.db import utcnow
from qkart.core.money import Money
from qkart.core.shop import setting_money, shop_today
from qkart.coupons import services as coupons
from qkart.coupons.errors import CouponError
from qkart.extensions import db
from qkart.orders.models import Order
from qkart.payments import wallet
from qkart.payments.methods import enabled_codes
from qkart.payments.models import METHOD_LABELS
from qkart.pricing.services import Breakdown, PriceLine, compute, tax_rates
from qkart.settings.services import setting
from qkart.shipping import services as shipping
from qkart.shipping.errors import ShippingUnavailableError
from qkart.shipping.services import ShippingQuote


@dataclass(frozen=True)
class Choices:
    """What the shopper picked: the saved draft, or a posted place-order form over it."""

    email: str | None = None
    address_id: int | None = None
    address: dict[str, Any] | None = None
    shipping_method: str | None = None
    payment_method: str | None = None
    use_wallet: bool = False
    # Offered when no method was chosen yet, if it delivers there (the last one used).
    usual_shipping: str | None = None


@dataclass(frozen=True)
class MethodOption:
    """A payment method as the payment step offers it (or explains why not)."""

    code: str
    label: str
    available: bool
    reason: str = ""


@dataclass(frozen=True)
class CheckoutState:
    summary: CartSummary
    choices: Choices
    user_id: int | None
    email: str | None
    address: dict[str, Any] | None
    country: str
    breakdown: Breakdown
    shipping_options: list[ShippingQuote] = field(default_factory=list)
    shipping: ShippingQuote | None = None
    shipping_error: str | None = None
    coupon: coupons.AppliedCoupon | None = None
    coupon_error: str | None = None
    methods: list[MethodOption] = field(default_factory=list)
    wallet: Money | None = None
    wallet_part: Money | None = None

    @property
    def payment_method(self) -> str | None:
        return self.choices.payment_method

    @property
    def is_guest(self) -> bool:
        return self.user_id is None

    @property
    def card_part(self) -> Money:
        """What is left for the card (or courier) after the wallet's share."""
        part = self.wallet_part or Money.zero(self.breakdown.currency)
        return self.breakdown.total - part

    def method(self, code: str | None) -> MethodOption | None:
        return next((m for m in self.methods if m.code == code), None)

    @property
    def steps_done(self) -> dict[str, bool]:
        """Each step counts as answered only once the steps before it are (in order)."""
        method = self.method(self.payment_method)
        contact = bool(self.email)
        address = contact and self.address is not None
        shipping = address and self.shipping is not None and self.shipping_error is None
        return {
            "contact": contact,
            "address": address,
            "shipping": shipping,
            "payment": shipping and method is not None and method.available,
        }

    @property
    def ready(self) -> bool:
        return all(self.steps_done.values()) and not self.summary.is_empty


def _address_fields(user_id: int | None, choices: Choices) -> dict[str, Any] | None:
    if user_id is None:
        return choices.address
    if choices.address_id is None:
        return None
    address = db.session.get(Address, choices.address_id)
    if address is None or address.user_id != user_id:
        return None
    return address.as_dict() | {"id": address.id}


def _coupon(
    summary: CartSummary, user_id: int | None, email: str | None
) -> tuple[coupons.AppliedCoupon | None, str | None]:
    code = summary.coupon_code
    if not code or summary.is_empty:
        return None, None
    lines = [
        coupons.CouponLine(
            product_id=line.product_id,
            category_id=line.product.category_id,
            line_total=line.product.price_money * line.quantity,
        )
        for line in summary.buyable
    ]
    try:
        applied = coupons.evaluate(
            code,
            lines=lines,
            subtotal=summary.subtotal,
            user_id=user_id,
            email=email,
            now=utcnow(),
        )
    except CouponError as error:
        return None, f"{code}: {error}"
    return applied, None


def _payment_options(total: Money, user_id: int | None, balance: Money) -> list[MethodOption]:
    config = current_app.config
    options: list[MethodOption] = []
    for code in enabled_codes():
        reason = ""
        if code == "wallet":
            if user_id is None:
                reason = "Log in to pay with your wallet."
            elif balance < total:
                reason = f"Your wallet holds {balance.format(setting('QKART_LOCALE'))}."
        if code == "cod":
            if not config["QKART_COD_ENABLED"]:
                continue
            limit = setting_money("QKART_COD_MAX")
            if total > limit:
                reason = f"Only for orders up to {limit.format(setting('QKART_LOCALE'))}."
        options.append(MethodOption(code, METHOD_LABELS[code], not reason, reason))
    return options


def last_choices(user_id: int) -> tuple[str | None, str | None]:
    """The delivery and payment method of the shopper's latest order, to offer again."""
    row = db.session.execute(
        select(Order.shipping_method, Order.payment_method)
        .where(Order.user_id == user_id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else (None, None)


def checkout_state(
    summary: CartSummary, *, user_id: int | None, user_email: str | None, choices: Choices
) -> CheckoutState:
    """Price the cart with ``choices`` and say what each step offers."""
    config = current_app.config
    currency = summary.subtotal.currency
    email = user_email or choices.email
    address = _address_fields(user_id, choices)
    country = (address or {}).get("country") or config["QKART_COUNTRY"]
    applied, coupon_error = _coupon(summary, user_id, email)
    discount = applied.discount if applied else Money.zero(currency)
    goods = summary.subtotal - discount
    options = shipping.options(
        country=country,
        subtotal=goods,
        weight_grams=summary.weight_grams,
        today=shop_today(),
    )
    chosen: ShippingQuote | None = None
    shipping_error = None
    wanted = choices.shipping_method
    if wanted is None and any(o.code == choices.usual_shipping for o in options):
        wanted = choices.usual_shipping
    if not summary.is_empty:
        try:
            chosen = shipping.choose(options, wanted)
        except ShippingUnavailableError as error:
            shipping_error = str(error)
    cod = choices.payment_method == "cod"
    fee = setting_money("QKART_COD_FEE") if cod else Money.zero(currency)
    breakdown = compute(
        [
            PriceLine(
                line.product_id, line.quantity, line.product.price_money, line.product.tax_class
            )
            for line in summary.buyable
        ],
        rates=tax_rates(country),
        currency=currency,
        discount=discount,
        discounted_ids=applied.product_ids if applied else None,
        shipping=chosen.price if chosen else None,
        payment_fee=fee,
        include_tax=setting("QKART_PRICES_INCLUDE_TAX"),
        coupon_code=applied.code if applied else None,
        shipping_label=chosen.name if chosen else None,
    )
    balance = wallet.balance(user_id)
    wallet_part = None
    if choices.payment_method == "card" and choices.use_wallet and balance.amount > 0:
        wallet_part = min(balance, breakdown.total)
    return CheckoutState(
        summary=summary,
        choices=choices,
        user_id=user_id,
        email=email,
        address=address,
        country=country,
        breakdown=breakdown,
        shipping_options=options,
        shipping=chosen,
        shipping_error=shipping_error,
        coupon=applied,
        coupon_error=coupon_error,
        methods=_payment_options(breakdown.total, user_id, balance),
        wallet=balance,
        wallet_part=wallet_part,
    )
