"""First-party analytics: what shoppers do on the shop, counted by QKart itself.

Other domains never import this one: they emit events (``qkart.core.events``) and
``subscribers`` turns them into rows; the web layer records page events through
``services.record`` and writes a request's events at once, after the response is
built. Events carry no personal data: an anonymous session id that changes after 30
idle minutes, the device class, and what happened (a product id, an order id, an
amount, a search) - never a user id, an e-mail address or an IP address. "Delete my
account" therefore has nothing here to delete, and "Download my data" nothing to add.
Web vitals (``vitals``) are counts in per-day histograms by page type and device class,
with nothing about who sent them.
"""
