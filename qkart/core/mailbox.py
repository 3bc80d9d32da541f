"""One mailbox, however its address is spelled (for once-per-person rewards)."""

from __future__ import annotations

# Providers that ignore dots in the local part ("j.doe" and "jdoe" are one inbox).
DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def mailbox(email: str) -> str:
    """The inbox an address delivers to: lower-cased, "+tag" dropped, and for Gmail
    the dots dropped too, so ``Me.Name+2@GMail.com`` and ``mename@gmail.com`` match.

    Only for recognising one person behind many spellings; never used to send mail.
    """
    local, at, domain = email.strip().lower().rpartition("@")
    if not at:
        return email.strip().lower()
    local = local.split("+", 1)[0]
    if domain in DOTLESS_DOMAINS:
        domain = DOTLESS_DOMAINS[domain]
        local = local.replace(".", "")
    return f"{local}@{domain}"
