"""Forgot-password cannot flood the mail queue (issue 12)."""

from pathlib import Path

import qkart
from qkart import jobs
from tests import conftest


def test_forgot_password_is_limited_per_inbox_and_per_address(make_app, outbox):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    client = app.test_client()
    for spelling in ["me@example.com", "me+1@example.com", "ME+2@example.com"]:
        assert client.post("/forgot-password", data={"email": spelling}).status_code == 200
    blocked = client.post("/forgot-password", data={"email": "me+3@example.com"})
    assert blocked.status_code == 429 and "Too many attempts" in blocked.get_data(as_text=True)
    spray = app.test_client()
    codes = [
        spray.post(
            "/forgot-password",
            data={"email": f"victim{n}@example.com"},
            environ_base={"REMOTE_ADDR": "10.7.7.7"},
        ).status_code
        for n in range(11)
    ]
    assert codes == [200] * 10 + [429]


def test_the_worker_builds_its_app_once_for_all_jobs(monkeypatch, tmp_path):
    built = []

    def counting_create_app(config=None):
        built.append(1)
        return real(conftest.test_config(f"sqlite:///{tmp_path / 'w.db'}", str(tmp_path)))

    real = qkart.create_app
    monkeypatch.setattr(qkart, "create_app", counting_create_app)
    monkeypatch.setattr(jobs, "_worker_app", None)

    @jobs.with_app
    def job(n):
        return n

    jobs.preload_app()  # what qkart.jobs.worker.Worker does in RQ's parent process
    assert [job(n) for n in range(3)] == [0, 1, 2]
    assert len(built) == 1


def test_the_procfile_worker_uses_the_preloading_worker_class():
    procfile = (Path(qkart.__file__).parents[1] / "Procfile").read_text()
    worker = next(line for line in procfile.splitlines() if line.startswith("worker:"))
    assert "--worker-class qkart.jobs.worker.Worker" in worker
