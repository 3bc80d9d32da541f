"""The RQ worker class of the Procfile: builds the app once, before any job forks.

RQ runs each job in a forked child; building the app there would cost every job
the whole start-up (about 2 s). Built in the parent, each child inherits it.
"""

from __future__ import annotations

from typing import Any

from rq.worker import Worker as RQWorker

from qkart.jobs import preload_app


class Worker(RQWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        preload_app()
