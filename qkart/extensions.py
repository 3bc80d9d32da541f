"""Extension objects, created unbound here and bound to the app in ``create_app``."""

from __future__ import annotations

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
migrate = Migrate()
login_manager = RotatingLoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
queue = JobQueue()
compress = Compress()
