"""Product questions from shoppers, answered by staff and by shoppers who received it."""
