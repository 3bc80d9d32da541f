"""Run one outbox job: claim it, call its function, mark it done, all or nothing.

RQ calls ``run(outbox_id)``; without Redis the queue calls ``execute`` inline. A
job that is sent twice (a sweep after a lost acknowledgement) finds itself done,
or claimed by another runner, and returns without doing the work again.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import or_, update

from qkart.core.db import rows_changed, utcnow
from qkart.extensions import db
from qkart.jobs import with_app
from qkart.jobs.models import OutboxJob
from qkart.jobs.queue import resolve

log = logging.getLogger(__name__)

# Longer than any job takes; a runner that died mid-job frees the job after this.
LEASE = timedelta(minutes=5)
# After this many failed runs the job is given up on (and left for staff to see).
MAX_ATTEMPTS = 8


def _claim(job_id: int) -> bool:
    """Take the job for this runner with a conditional UPDATE: only one runner wins."""
    now = utcnow()
    claimed = db.session.execute(
        update(OutboxJob)
        .where(
            OutboxJob.id == job_id,
            OutboxJob.done_at.is_(None),
            OutboxJob.failed_at.is_(None),
            or_(OutboxJob.claimed_until.is_(None), OutboxJob.claimed_until < now),
        )
        .values(claimed_until=now + LEASE, attempts=OutboxJob.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return rows_changed(claimed) == 1


def execute(job_id: int) -> bool:
    """Run outbox job ``job_id`` once; False when it was done or taken already.

    The job's own writes and its "done" mark commit together. A failure is recorded
    on the row and raised again, so RQ retries it with back-off.
    """
    if not _claim(job_id):
        return False
    job = db.session.get(OutboxJob, job_id)
    if job is None:
        return False
    name, args = job.name, list(job.args)
    try:
        resolve(name)(*args)
        job.done_at = utcnow()
        job.claimed_until = None
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        _record_failure(job_id, f"{type(error).__name__}: {error}")
        raise
    return True


def _record_failure(job_id: int, message: str) -> None:
    job = db.session.get(OutboxJob, job_id)
    if job is None:
        return
    job.last_error = message[:500]
    job.claimed_until = None
    if job.attempts >= MAX_ATTEMPTS:
        job.failed_at = utcnow()
        log.error("job %s (%s) failed %d times; giving up", job_id, job.name, job.attempts)
    db.session.commit()


@with_app
def run(job_id: int) -> bool:
    """The RQ entry point for outbox jobs."""
    return execute(job_id)
