"""Import every model module so SQLAlchemy and Alembic see the whole schema."""

from qkart.accounts.models import Address, User
from qkart.cart.models import Cart, CartItem
from qkart.catalog.models import Category, Product
from qkart.checkout.models import CheckoutDraft
from qkart.coupons.models import Coupon, CouponRedemption
from qkart.jobs.models import OutboxJob
from qkart.orders.models import Order, OrderEvent, OrderLine
from qkart.payments.models import (
    Payment,
    PaymentEvent,
    Refund,
    StripeEvent,
    Wallet,
    WalletEntry,
    WelcomeGrant,
)
from qkart.pricing.models import TaxRate
from qkart.shipping.models import ShippingMethod, ShippingRate

__all__ = [
    "Address",
    "Cart",
    "CartItem",
    "Category",
    "CheckoutDraft",
    "Coupon",
    "CouponRedemption",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OutboxJob",
    "Payment",
    "PaymentEvent",
    "Product",
    "Refund",
    "ShippingMethod",
    "ShippingRate",
    "StripeEvent",
    "TaxRate",
    "User",
    "Wallet",
    "WalletEntry",
    "WelcomeGrant",
]
