"""The catalogue's listeners: commits that change products, categories or pictures move
the catalogue cache's generation on (see ``qkart.catalog.cache``)."""

from qkart.catalog.cache import watch_catalogue_changes

watch_catalogue_changes()
