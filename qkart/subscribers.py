"""Import every domain's event subscribers, once, when the app is built (wiring only)."""

from qkart.analytics import subscribers as analytics  # noqa: F401
from qkart.cart import subscribers as cart  # noqa: F401
from qkart.catalog import subscribers as catalog  # noqa: F401
from qkart.coupons import subscribers as coupons  # noqa: F401
from qkart.observability import subscribers as observability  # noqa: F401
from qkart.orders import subscribers as orders  # noqa: F401
from qkart.payments import subscribers as payments  # noqa: F401
from qkart.stock_alerts import subscribers as stock_alerts  # noqa: F401
