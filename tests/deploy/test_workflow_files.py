"""The files the developer workflow stands on say what the Makefile and the
tests do: docker/dev's services on the tests' ports with a config envoxyd
accepts, release workflows publishing what `make wheel` builds, pre-commit
running `make lint`'s tools."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import yaml

from tests.daemon import ENVOXYD
from tests.services import SERVICES

ROOT = Path(__file__).resolve().parents[2]
SLOW = True  # runs envoxyd's preflight


def test_docker_dev_serves_every_test_service_on_its_port() -> None:
    compose = yaml.safe_load((ROOT / "docker/dev/docker-compose.yml").read_text())
    published = {
        name: {int(port.split(":")[1]) for port in spec.get("ports", [])}
        for name, spec in compose["services"].items()
    }
    for name, service in SERVICES.items():
        assert service.port in published[name], (name, published)
    for spec in compose["services"].values():
        assert all(port.startswith("127.0.0.1:") for port in spec.get("ports", []))


def test_docker_devs_config_passes_envoxyds_preflight_and_matches_compose() -> None:
    conf = ROOT / "docker/dev/envoxy.json"
    assert ENVOXYD
    done = subprocess.run(
        [ENVOXYD, "--check", "--set", f"conf={conf}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    text = json.dumps(json.loads(conf.read_text()))
    ports = {int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", text)}
    ports |= {int(p) for p in re.findall(r'"port": (\d+)', text)}
    assert ports == {s.port for s in SERVICES.values()}


def test_release_workflows_publish_what_make_wheel_builds() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^wheel:\n\tscripts/build_wheels\.sh$", makefile, re.M)
    envoxy = yaml.safe_load((ROOT / ".github/workflows/envoxy-publish.yml").read_text())
    runs = [s.get("run", "") for s in envoxy["jobs"]["build"]["steps"]]
    assert any(r.startswith("scripts/build_wheels.sh") for r in runs)
    daemon = yaml.safe_load(
        (ROOT / ".github/workflows/envoxyd-manylinux.yml").read_text()
    )
    runs = [s.get("run", "") for s in daemon["jobs"]["build"]["steps"]]
    assert any("vendors/envoxyd" in r for r in runs)
    for workflow in (envoxy, daemon):
        publish = workflow["jobs"]["publish"]
        assert publish["permissions"] == {"id-token": "write"}  # trusted publishing
        uses = [s.get("uses", "") for s in publish["steps"]]
        assert any(u.startswith("pypa/gh-action-pypi-publish@") for u in uses)


def test_pre_commit_runs_make_lints_tools() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    entries = [h["entry"] for repo in hooks["repos"] for h in repo["hooks"]]
    makefile = (ROOT / "Makefile").read_text()
    for tool in ("ruff check", "ruff format", "mypy src vendors/envoxyd/src"):
        assert any(tool in entry for entry in entries), tool
        assert tool in makefile, tool
