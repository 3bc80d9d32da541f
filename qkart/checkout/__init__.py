"""Checkout: turns a cart, an address and a payment into an order, atomically."""
