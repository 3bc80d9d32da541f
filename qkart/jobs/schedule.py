"""What ``rq cron`` runs (the Procfile's ``clock`` process): the upkeep tick, every minute."""

import os

from rq import cron

from qkart.jobs.maintenance import tick

cron.register(tick, queue_name=os.environ.get("QKART_QUEUE") or "qkart", interval=60)
