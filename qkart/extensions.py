"""Extension objects, created unbound here and bound to the app in ``create_app``."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
queue = JobQueue()
compress = Compress()
