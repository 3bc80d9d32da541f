"""Back-in-stock alerts: shoppers ask to hear when a sold-out product returns."""
