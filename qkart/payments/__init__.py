"""Payments: the QKart wallet (store credit, as a ledger) and payment records."""
