"""celeryc with a real worker started by Celery's own CLI, RabbitMQ and Redis."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from envoxy.celery.client import Client
from envoxy.utils.config import Config
from tests.services import Service

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def service(
    rabbitmq_service: Service, redis_service: Service, tmp_path: Path
) -> Iterator[str]:
    queue = f"envoxy-test-{uuid.uuid4().hex[:8]}"
    package = tmp_path / "svcjobs"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "tasks.py").write_text(
        textwrap.dedent(
            """
            from celery import shared_task

            @shared_task(name="svcjobs.tasks.add")
            def add(a, b):
                return {"sum": a + b}

            @shared_task(name="svcjobs.tasks.boom")
            def boom():
                raise ValueError("task failed on purpose")
            """
        ),
        encoding="utf-8",
    )
    conf = {
        "amqp_servers": {
            "main": {
                "user": "guest",
                "passwd": "guest",
                "host": rabbitmq_service.host,
                "port": rabbitmq_service.port,
                "vhost": "/",
            }
        },
        "redis_servers": {"celery": {"bind": redis_service.address, "db": 5}},
        "packages": ["svcjobs"],
        "default_task_queue": queue,
    }
    config_path = tmp_path / "envoxy.json"
    config_path.write_text(json.dumps(conf), encoding="utf-8")
    (tmp_path / "worker_app.py").write_text(
        "from envoxy.utils.config import Config\n"
        f"Config.set_file_path({str(config_path)!r})\n"
        "from envoxy.celery.client import Client\n"
        "app = Client.initialize()\n",
        encoding="utf-8",
    )
    sys.path.insert(0, str(tmp_path))
    Config.configure(config_path, environ={})
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}:{ROOT / 'src'}"}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "worker_app",
            "worker",
            "-Q",
            queue,
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "WARNING",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield queue
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=10)
    if Client.app is not None:
        Client.app.close()  # release the broker and backend connections
    Client.app = None
    sys.path.remove(str(tmp_path))
    sys.modules.pop("svcjobs", None)
    sys.modules.pop("svcjobs.tasks", None)
    Config.reset()


def test_task_runs_on_a_real_worker(service: str) -> None:
    app = Client.initialize()
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_default_queue == service
    result = Client.send("svcjobs.tasks.add", 2, b=40)
    assert result.get(timeout=60) == {"sum": 42}
    failed = Client.send("svcjobs.tasks.boom")
    with pytest.raises(ValueError, match="on purpose"):
        failed.get(timeout=60)
    assert Client.send("svcjobs.tasks.add", 1, 1).get(timeout=60) == {
        "sum": 2
    }  # worker still up


def test_only_json_goes_on_the_wire(service: str) -> None:
    Client.initialize()
    with pytest.raises(Exception, match=r"(?i)not JSON serializable|EncodeError"):
        Client.send("svcjobs.tasks.add", {1, 2}, 3)
