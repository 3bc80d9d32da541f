"""How payments react to other domains' news."""

from __future__ import annotations

from qkart.core.events import subscribe
from qkart.payments.wallet import grant_welcome_credit


@subscribe("account.email_verified")
def welcome_credit(user_id: int, email: str) -> None:
    """A proven address earns the welcome store credit (once per mailbox, ever)."""
    grant_welcome_credit(user_id, email)
