"""E-mail preference forms."""

from flask_wtf import FlaskForm


class UnsubscribeForm(FlaskForm):
    """The button is the whole form."""
