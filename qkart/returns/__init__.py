"""Returns: a shopper sends delivered items back within the window; staff decide and refund."""
