"""Pricing: the one computation of what an order costs (subtotal to total, with tax)."""
