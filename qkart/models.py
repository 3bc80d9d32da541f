"""Import every model module so SQLAlchemy and Alembic see the whole schema."""

from qkart.accounts.models import Address, User, WelcomeGrant
from qkart.cart.models import Cart, CartItem
from qkart.catalog.models import Category, Product
from qkart.orders.models import Order, OrderEvent, OrderLine
from qkart.payments.models import Payment, WalletEntry

__all__ = [
    "Address",
    "Cart",
    "CartItem",
    "Category",
    "Order",
    "OrderEvent",
    "OrderLine",
    "Payment",
    "Product",
    "User",
    "WalletEntry",
    "WelcomeGrant",
]
