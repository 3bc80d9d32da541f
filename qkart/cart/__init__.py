"""Shopping carts, for visitors and for signed-in shoppers, kept on the server."""
