"""Import every model module so SQLAlchemy and Alembic see the whole schema."""

from qkart.accounts.models import Address, StaffInvitation, User
from qkart.analytics.models import AnalyticsEvent
from qkart.audit.models import AuditEntry
from qkart.cart.models import Cart, CartItem, CartReminder
from qkart.catalog.models import Category, Product
from qkart.checkout.models import CheckoutDraft
from qkart.coupons.models import Coupon, CouponRedemption
from qkart.invoices.models import DocumentCounter, Invoice
from qkart.jobs.models import OutboxJob
from qkart.notifications.models import SentEmail, Unsubscribe
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
from qkart.questions.models import Answer, Question
from qkart.recommendations.models import ProductRecommendation, RecommendationRun
from qkart.returns.models import Return, ReturnLine
from qkart.reviews.models import Review, ReviewVote
from qkart.settings.models import ShopSetting
from qkart.shipping.models import ShippingMethod, ShippingRate
from qkart.stock_alerts.models import StockAlert
from qkart.wishlist.models import RecentlyViewed, WishlistItem

__all__ = [
    "Address",
    "AnalyticsEvent",
    "Answer",
    "AuditEntry",
    "Cart",
    "CartItem",
    "CartReminder",
    "Category",
    "CheckoutDraft",
    "Coupon",
    "CouponRedemption",
    "DocumentCounter",
    "Invoice",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OutboxJob",
    "Payment",
    "PaymentEvent",
    "Product",
    "ProductRecommendation",
    "Question",
    "RecentlyViewed",
    "RecommendationRun",
    "Refund",
    "Return",
    "ReturnLine",
    "Review",
    "ReviewVote",
    "SentEmail",
    "ShippingMethod",
    "ShippingRate",
    "ShopSetting",
    "StaffInvitation",
    "StockAlert",
    "StripeEvent",
    "TaxRate",
    "Unsubscribe",
    "User",
    "Wallet",
    "WalletEntry",
    "WelcomeGrant",
    "WishlistItem",
]
