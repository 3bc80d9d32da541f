"""Product reviews by shoppers who received the product, and their helpful votes."""
