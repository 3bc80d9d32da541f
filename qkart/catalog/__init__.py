"""The catalogue: categories and products, search and filters."""
