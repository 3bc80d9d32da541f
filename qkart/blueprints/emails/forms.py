"""E-mail preference forms."""

from qkart.core.forms import Form


class UnsubscribeForm(Form):
    """The button is the whole form."""
