"""Invoices and credit notes: numbered without gaps per year, kept as PDF files."""
