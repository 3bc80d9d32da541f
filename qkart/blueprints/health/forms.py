"""The health checks take no input."""
