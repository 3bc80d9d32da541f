"""Coupons: codes that take a percentage or an amount off, under rules staff set."""
