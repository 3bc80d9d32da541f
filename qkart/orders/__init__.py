"""Orders: what was bought, by whom, shipped where, and every status change."""
