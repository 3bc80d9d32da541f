"""Shopper and staff accounts, roles, passwords and address books."""
