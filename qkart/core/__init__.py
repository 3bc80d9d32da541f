"""Shared building blocks: money, database helpers, htmx helpers, template filters."""
