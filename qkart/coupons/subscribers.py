"""How coupons react to other domains' news."""

from __future__ import annotations

from qkart.core.events import subscribe
from qkart.coupons.services import release


@subscribe("order.cancelled")
def give_back_use(order_id: int) -> None:
    """A cancelled order does not use up the coupon it carried."""
    release(order_id)
