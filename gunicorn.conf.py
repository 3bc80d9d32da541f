"""gunicorn settings read automatically from the working directory (``Procfile``'s web).

Only the hooks Prometheus' multiprocess mode needs live here; the command line in the
Procfile keeps everything else. With ``PROMETHEUS_MULTIPROC_DIR`` set, the directory is
emptied when the server starts (values of an earlier run would be added up otherwise)
and a worker's live gauges are removed when it exits. Without it, nothing happens.
"""

import os
from pathlib import Path
from typing import Any


def on_starting(server: Any) -> None:
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        Path(path).mkdir(parents=True, exist_ok=True)
        for stale in Path(path).glob("*.db"):
            stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
