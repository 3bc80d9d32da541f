"""Catalogue jobs: a product CSV import is checked and saved by a worker, never inside
the upload's request (10 000 rows take seconds)."""

from __future__ import annotations

from qkart.catalog.csv_io import run_import


def import_products(import_id: int) -> None:
    run_import(import_id)
