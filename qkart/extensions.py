"""Extension objects, created unbound here and bound to the app in ``create_app``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app, request
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from qkart.core.db import Base
from qkart.core.signing import RotatingLoginManager
from qkart.jobs.queue import JobQueue

db = SQLAlchemy(model_class=Base)
# Models subclass ``Model``. At run time it is ``db.Model``, a class Flask-SQLAlchemy
# builds from ``Base``'s body; type checkers cannot follow a class made at run time,
# so they are shown ``Base``, which declares the same columns and metadata.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = RotatingLoginManager()
csrf = CSRFProtect()


def _post_limit() -> str:
    """Every address's budget of POSTs across the whole shop (``QKART_POST_LIMIT``)."""
    return str(current_app.config.get("QKART_POST_LIMIT") or "120 per minute;1500 per hour")


def _reads(*_: object) -> bool:
    """Only state-changing requests draw on the shared budget: browsing is never limited."""
    return request.method in ("GET", "HEAD", "OPTIONS")


# One budget per address for every POST (a person clicking never comes near it; a script
# hammering forms does), beside the tighter per-route limits on login, register, forgot
# password and suggestions. Webhooks and health checks are exempt at their routes.
limiter = Limiter(
    key_func=get_remote_address,
    default_limits=[],
    application_limits=[_post_limit],
    application_limits_exempt_when=_reads,
    headers_enabled=True,
)
# The pages people browse most: no limit of their own, and reads never draw on the POST
# budget, so the limiter is not even asked (its bookkeeping is a tenth of a kept page).
BROWSING = frozenset(
    {"shop.index", "shop.products", "shop.categories", "shop.category", "shop.product", "cart.view"}
)


@limiter.request_filter
def _browsing() -> bool:
    return request.method in ("GET", "HEAD") and request.endpoint in BROWSING


queue = JobQueue()
compress = Compress()
