"""Build and deliver e-mails.

Every message has a plain-text and an HTML part rendered from
``templates/email/<name>.txt`` and ``.html``. With ``MAIL_SERVER`` set it goes
out over SMTP (errors propagate, so RQ retries the job); without it the message
is written as an ``.eml`` file to the outbox folder and logged, which is how a
developer reads "sent" mail on a laptop.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from flask import current_app, render_template

from qkart.core.db import utcnow
from qkart.settings.services import setting

log = logging.getLogger(__name__)


Attachment = tuple[str, bytes, str]  # filename, content, MIME type ("application/pdf")


def build_message(
    to: str,
    subject: str,
    template: str,
    *,
    attachments: Sequence[Attachment] = (),
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> EmailMessage:
    config = current_app.config
    context.setdefault("shop_name", setting("QKART_SHOP_NAME"))
    context.setdefault("contact_email", setting("QKART_CONTACT_EMAIL"))
    context.setdefault("base_url", config["QKART_BASE_URL"].rstrip("/"))
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Reply-To"] = context["contact_email"]  # a shopper's reply reaches a person
    message["Message-ID"] = make_msgid(domain="qkart.local")
    message.set_content(render_template(f"email/{template}.txt", **context))
    message.add_alternative(render_template(f"email/{template}.html", **context), subtype="html")
    for name, value in (headers or {}).items():
        message[name] = value
    for filename, content, mimetype in attachments:
        maintype, _, subtype = mimetype.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message


def deliver(message: EmailMessage) -> None:
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        _to_outbox(message, Path(config["QKART_OUTBOX"]))
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)
    log.info("mail sent to %s: %s", message["To"], message["Subject"])


def _to_outbox(message: EmailMessage, outbox: Path) -> None:
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    path = outbox / f"{stamp}-{message['Message-ID'].strip('<>').split('@')[0]}.eml"
    path.write_bytes(message.as_bytes())
    log.info("mail to %s (%s) written to %s", message["To"], message["Subject"], path)


def send_email(to: str, subject: str, template: str, **context: Any) -> None:
    deliver(build_message(to, subject, template, **context))


def send_once(key: str, to: str, subject: str, template: str, **context: Any) -> bool:
    """Send unless a message with ``key`` went out before (a retried job sends nothing).

    The key is recorded in the job's transaction after a successful send; if that
    commit is lost the message may go twice, never zero times.
    """
    from qkart.extensions import db
    from qkart.notifications.models import SentEmail

    if db.session.get(SentEmail, key) is not None:
        return False
    send_email(to, subject, template, **context)
    db.session.add(SentEmail(key=key))
    db.session.flush()
    return True
