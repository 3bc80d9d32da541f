"""Shipping: the methods staff offer (delivery, express, pickup), their rates and dates."""
