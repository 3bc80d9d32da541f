"""What a shopper keeps an eye on: the wishlist, recently viewed products, comparisons."""
