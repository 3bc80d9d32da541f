"""Customers also bought: product pairs from order co-occurrence, computed by a chore."""
