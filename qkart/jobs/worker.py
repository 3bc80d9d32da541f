"""The RQ worker class of the Procfile: builds the app once, before any job forks.

RQ runs each job in a forked child; building the app there would cost every job
the whole start-up (about 2 s). Built in the parent, each child inherits it.
"""

from __future__ import annotations

from typing import Any

from rq.executions import Execution
from rq.job import Job
from rq.queue import Queue
from rq.worker import Worker as RQWorker

from qkart.jobs import preload_app
from qkart.observability.logs import configure_worker_logging, job_context


class Worker(RQWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        configure_worker_logging(preload_app())

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        """Run ``job`` with its id and name on every line it logs (the job's request id)."""
        token = job_context.set({"job_id": job.id, "job": job.func_name})
        try:
            return super().perform_job(job, queue, execution)
        finally:
            job_context.reset(token)
