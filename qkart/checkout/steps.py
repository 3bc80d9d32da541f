"""Checkout steps: what each step saved (the draft) and the checkout priced with it.

Each step of the checkout page (contact, address, delivery, payment) saves its
answer in the cart's ``CheckoutDraft``; ``load_state`` prices the cart with those
answers (and the shopper's usual ones where a step is unanswered). The cart page,
the checkout page and ``place_order`` all read the checkout through it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from qkart.accounts import addresses as address_book
from qkart.cart.errors import EmptyCartError
from qkart.cart.models import Cart
from qkart.cart.services import CartOwner, CartSummary, find_cart, set_coupon, summarize
from qkart.checkout.errors import AddressRequiredError
from qkart.checkout.models import CheckoutDraft
from qkart.checkout.state import CheckoutState, Choices, checkout_state, last_choices
from qkart.core.errors import NotFoundError
from qkart.coupons import services as coupons
from qkart.coupons.errors import CouponError
from qkart.extensions import db
from qkart.payments.errors import InsufficientFundsError, UnknownPaymentMethodError
from qkart.shipping.errors import ShippingUnavailableError


@dataclass(frozen=True)
class Shopper:
    """Who checks out: a signed-in account, or a guest known by their cart token."""

    owner: CartOwner
    user_id: int | None = None
    email: str | None = None

    @property
    def is_guest(self) -> bool:
        return self.user_id is None


# -- the draft: what each step saved -------------------------------------------------


def find_draft(cart: Cart | None, *, create: bool = False) -> CheckoutDraft | None:
    if cart is None:
        return None
    draft = db.session.get(CheckoutDraft, cart.id)
    if draft is None and create:
        draft = CheckoutDraft(cart_id=cart.id)
        db.session.add(draft)
        db.session.flush()
    return draft


def choices_for(draft: CheckoutDraft | None, shopper: Shopper) -> Choices:
    """The draft's answers, with the shopper's usual ones where a step was not answered."""
    choices = Choices(
        email=draft.email if draft else None,
        address_id=draft.address_id if draft else None,
        address=draft.address if draft else None,
        shipping_method=draft.shipping_method if draft else None,
        payment_method=draft.payment_method if draft else None,
        use_wallet=bool(draft and draft.use_wallet),
    )
    if shopper.user_id is None:
        return choices
    if choices.address_id is None:
        saved = address_book.list_addresses(shopper.user_id)
        if saved:  # the default address sorts first
            choices = replace(choices, address_id=saved[0].id)
    usual_shipping, _ = last_choices(shopper.user_id)
    return replace(choices, usual_shipping=usual_shipping)


def load_state(
    shopper: Shopper, *, summary: CartSummary | None = None, overrides: dict[str, Any] | None = None
) -> CheckoutState:
    """The checkout as it stands for ``shopper`` (the cart page and checkout show this)."""
    cart = summary.cart if summary is not None else find_cart(shopper.owner, with_items=True)
    summary = summary if summary is not None else summarize(cart)
    choices = choices_for(find_draft(cart), shopper)
    if overrides:
        choices = replace(choices, **{k: v for k, v in overrides.items() if v is not None})
    return checkout_state(
        summary, user_id=shopper.user_id, user_email=shopper.email, choices=choices
    )


def _cart_for_step(shopper: Shopper) -> Cart:
    cart = find_cart(shopper.owner, with_items=True)
    if cart is None or not cart.items:
        raise EmptyCartError()
    return cart


def save_contact(shopper: Shopper, email: str) -> None:
    """A guest's e-mail, for the confirmation and the signed link to the order."""
    draft = find_draft(_cart_for_step(shopper), create=True)
    assert draft is not None
    draft.email = email.strip().lower()


def save_address(
    shopper: Shopper,
    *,
    address_id: int | None = None,
    fields: dict[str, str] | None = None,
    make_default: bool = False,
) -> None:
    """Ship to a saved address, or a new one (kept in the address book for accounts)."""
    draft = find_draft(_cart_for_step(shopper), create=True)
    assert draft is not None
    if shopper.user_id is None:
        if fields is None:
            raise AddressRequiredError()
        draft.address = {k: (fields.get(k) or "").strip() for k in address_book.Address.FIELDS}
        draft.address["country"] = draft.address["country"].upper()
    elif fields is not None:
        saved = address_book.add_address(shopper.user_id, fields, make_default=make_default)
        draft.address_id = saved.id
    else:
        try:
            draft.address_id = address_book.get_address(shopper.user_id, address_id or 0).id
        except NotFoundError:
            raise AddressRequiredError() from None
    db.session.flush()
    state = load_state(shopper)
    if draft.shipping_method and state.shipping_error:
        draft.shipping_method = None  # not offered at the new address: offer again


def save_shipping(shopper: Shopper, code: str) -> None:
    cart = _cart_for_step(shopper)
    state = load_state(shopper, overrides={"shipping_method": code})
    if state.shipping_error:
        raise ShippingUnavailableError(state.shipping_error)
    draft = find_draft(cart, create=True)
    assert draft is not None
    draft.shipping_method = code


def save_payment(shopper: Shopper, code: str, *, use_wallet: bool = False) -> None:
    cart = _cart_for_step(shopper)
    state = load_state(shopper, overrides={"payment_method": code, "use_wallet": use_wallet})
    check_method(state)
    draft = find_draft(cart, create=True)
    assert draft is not None
    draft.payment_method = code
    draft.use_wallet = use_wallet and code == "card"


def apply_coupon(shopper: Shopper, code: str) -> coupons.AppliedCoupon:
    """Check ``code`` against this cart and keep it on the cart; ``CouponError`` says why not."""
    cart = _cart_for_step(shopper)
    summary = summarize(cart)
    set_coupon(shopper.owner, coupons.normalise_code(code))
    state = load_state(shopper, summary=summary)
    if state.coupon is None:
        raise CouponError(
            (state.coupon_error or "").split(": ", 1)[-1] or "This code cannot be used."
        )
    return state.coupon


def remove_coupon(shopper: Shopper) -> None:
    if find_cart(shopper.owner) is not None:
        set_coupon(shopper.owner, None)


def check_method(state: CheckoutState) -> str:
    option = state.method(state.payment_method)
    if option is None:
        raise UnknownPaymentMethodError("Choose how you want to pay.")
    if not option.available:
        if option.code == "wallet":
            raise InsufficientFundsError(
                f"You do not have enough balance in your wallet for this purchase. {option.reason}"
            )
        raise UnknownPaymentMethodError(option.reason or "Choose another way to pay.")
    return option.code
