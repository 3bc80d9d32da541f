"""E-mail preferences reached from a message: unsubscribe from cart reminders.

The page asks before it acts (a link scanner must not unsubscribe anyone); mail
programs' one-click unsubscribe (RFC 8058) posts ``List-Unsubscribe=One-Click`` to
the same address, without the page's CSRF token, and is honoured too.
"""

from __future__ import annotations

from flask import Response, abort, request

from qkart.blueprints.emails import bp
from qkart.blueprints.emails.forms import UnsubscribeForm
from qkart.cart import reminders
from qkart.core.htmx import render
from qkart.extensions import csrf, db


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str) -> Response:
    token = token[:500]
    form = UnsubscribeForm()
    one_click = request.form.get("List-Unsubscribe") == "One-Click"
    if request.method == "POST":
        if not one_click and not form.validate():
            abort(400, "This form has expired. Reload the page and try again.")
        reminders.unsubscribe(token)
        db.session.commit()
        return render("emails/unsubscribed.html", done=True, form=form, token=token)
    return render("emails/unsubscribed.html", done=False, form=form, token=token)
