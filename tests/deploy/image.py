"""The image's layout without a container engine: the wheels installed into
a venv at /opt/envoxy, and envoxyd started as the image starts it, in new
PID, mount and network namespaces, as the image's non-root user.

``Image`` reads what it needs from the Dockerfile itself (the final stage's
``USER``, ``ENTRYPOINT``, ``CMD``, ``HEALTHCHECK``), so the test follows the
image rather than a copy of it. The host is never changed: /opt, /usr, /home,
/tmp and /root are overlaid or replaced inside the namespace only.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def _private_python_root() -> Path | None:
    """The folder under /root holding the venv's base interpreter (pyenv), to
    be made reachable for the non-root user inside the namespace (/root is
    0700); None when the interpreter lives elsewhere, as in the image."""
    base = Path(sys.base_prefix)
    if base.is_relative_to("/root"):
        return Path("/root", base.relative_to("/root").parts[0])
    return None


PYTHON_ROOT = _private_python_root()


def final_stage(dockerfile: Path) -> list[str]:
    """The final stage's instructions, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", dockerfile.read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines()]
    instructions = [line for line in lines if line and not line.startswith("#")]
    starts = [
        i for i, line in enumerate(instructions) if line.upper().startswith("FROM ")
    ]
    return instructions[starts[-1] :]


def instruction(stage: list[str], name: str) -> str:
    found = [
        line[len(name) + 1 :].strip()
        for line in stage
        if line.upper().startswith(name + " ")
    ]
    assert found, f"the final stage has no {name}"
    return found[-1]


@dataclass(frozen=True)
class Image:
    """What the final stage of the Dockerfile says a container runs."""

    user: tuple[int, int]
    entrypoint: list[str]
    cmd: list[str]
    healthcheck: list[str]
    stage: list[str]

    @classmethod
    def from_dockerfile(cls, path: Path = DOCKERFILE) -> Image:
        stage = final_stage(path)
        uid, _, gid = instruction(stage, "USER").partition(":")
        health = instruction(stage, "HEALTHCHECK")
        return cls(
            user=(int(uid), int(gid or uid)),
            entrypoint=json.loads(instruction(stage, "ENTRYPOINT")),
            cmd=json.loads(instruction(stage, "CMD")),
            healthcheck=json.loads(health[health.index("CMD ") + 4 :]),
            stage=stage,
        )


def build_wheels(out: Path) -> list[Path]:
    """envoxy (compiled, required) and envoxyd, as the build stage makes them."""
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--wheel-dir",
            str(out),
            ".",
            "vendors/envoxyd",
        ],
        cwd=ROOT,
        env={**os.environ, "ENVOXY_REQUIRE_EXTENSIONS": "1"},
        check=True,
        timeout=900,
    )
    return sorted(out.glob("*.whl"))


PIP_QUIET = "--root-user-action=ignore --no-warn-script-location"


class Layers:
    """Overlay upper layers for /opt and /usr: what the image adds to them,
    kept in the test's folder (the host's /opt and /usr are the lower)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        for name in ("opt", "usr"):
            (folder / "upper" / name).mkdir(parents=True, exist_ok=True)
            (folder / "work" / name).mkdir(parents=True, exist_ok=True)
        (folder / "upper" / "usr" / "envoxy" / "plugins").mkdir(
            parents=True, exist_ok=True
        )

    def mounts(self) -> str:
        """Shell lines that lay the image over the host inside a private
        mount namespace."""
        lines = []
        for name in ("opt", "usr"):
            upper = self.folder / "upper" / name
            work = self.folder / "work" / name
            options = f"lowerdir=/{name},upperdir={upper},workdir={work}"
            lines.append(f"mount -t overlay overlay -o {options} /{name}")
        return "\n".join(lines)

    def install(self, wheels: list[Path]) -> None:
        """``python -m venv /opt/envoxy`` and the wheels, as the image's RUN."""
        listed = " ".join(shlex.quote(str(wheel)) for wheel in wheels)
        script = f"""
set -eu
mount --make-rprivate /
{self.mounts()}
{shlex.quote(sys.executable)} -m venv /opt/envoxy
/opt/envoxy/bin/pip install --quiet --disable-pip-version-check {PIP_QUIET} {listed}
"""
        subprocess.run(
            ["unshare", "--mount", "bash", "-c", script], check=True, timeout=900
        )


def _python_mounts() -> str:
    if PYTHON_ROOT is None:
        return ""
    return "\n".join(
        [
            "mkdir -p /opt/.host-python",
            f"mount --bind {PYTHON_ROOT} /opt/.host-python",
            "mount -t tmpfs -o mode=0755 tmpfs /root",
            f"mkdir -p {PYTHON_ROOT}",
            f"mount --bind /opt/.host-python {PYTHON_ROOT}",
        ]
    )


def runtime_script(
    layers: Layers, image: Image, service: Path, passwd: Path, group: Path
) -> str:
    """PID 1's script in the new namespaces: lay the image out, then become
    the image's user and exec its entrypoint (so envoxyd itself is PID 1)."""
    uid, gid = image.user
    command = " ".join(shlex.quote(part) for part in [*image.entrypoint, *image.cmd])
    return f"""
set -eu
mount --make-rprivate /
ip link set lo up
{layers.mounts()}
{_python_mounts()}
mount -t tmpfs -o mode=0755 tmpfs /home
mkdir /home/envoxy
mount --bind {shlex.quote(str(service))} /home/envoxy
mount -o remount,bind,ro /home/envoxy
mount --bind {passwd} /etc/passwd
mount --bind {group} /etc/group
mount -t tmpfs -o mode=1777 tmpfs /tmp
cd /home/envoxy
exec setpriv --reuid {uid} --regid {gid} --clear-groups -- \\
  env -i PATH=/opt/envoxy/bin:/usr/local/bin:/usr/bin:/bin HOME=/home/envoxy \\
  PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 {command}
"""


def account_files(folder: Path, image: Image) -> tuple[Path, Path]:
    """/etc/passwd and /etc/group with the image's user, as its RUN adds it."""
    uid, gid = image.user
    passwd = folder / "passwd"
    group = folder / "group"
    passwd.write_text(
        Path("/etc/passwd").read_text()
        + f"envoxy:x:{uid}:{gid}::/home/envoxy:/usr/sbin/nologin\n"
    )
    group.write_text(Path("/etc/group").read_text() + f"envoxy:x:{gid}:\n")
    return passwd, group


class Container:
    """One run of the image: ``start`` it, talk to it through its own network
    namespace, ``stop`` it with SIGTERM."""

    def __init__(
        self, folder: Path, layers: Layers, image: Image, service: Path
    ) -> None:
        self.folder = folder
        passwd, group = account_files(folder, image)
        self.script = runtime_script(layers, image, service, passwd, group)
        self.image = image
        self.stdout = folder / "stdout.log"
        self.stderr = folder / "stderr.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Container:
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.process = subprocess.Popen(
                [
                    "unshare",
                    "--pid",
                    "--fork",
                    "--mount-proc",
                    "--mount",
                    "--net",
                    "bash",
                    "-c",
                    self.script,
                ],
                stdout=out,
                stderr=err,
            )
        return self

    @property
    def pid(self) -> int:
        """The host's pid of the namespace's PID 1 (unshare's child)."""
        assert self.process is not None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            children = Path(
                f"/proc/{self.process.pid}/task/{self.process.pid}/children"
            )
            found = children.read_text().split() if children.exists() else []
            if found:
                return int(found[0])
            time.sleep(0.05)
        raise AssertionError("the namespace's PID 1 never appeared")

    def run(
        self, *command: str, as_user: bool = False, timeout: float = 10
    ) -> subprocess.CompletedProcess[str]:
        """``command`` inside the container's network and mount namespaces."""
        user = (
            ["-S", str(self.image.user[0]), "-G", str(self.image.user[1])]
            if as_user
            else []
        )
        return subprocess.run(
            ["nsenter", "-t", str(self.pid), "-n", "-m", *user, "--", *command],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def get(self, path: str) -> tuple[int, Any]:
        """GET ``path`` from port 8080 inside the container."""
        code = (
            "import json, sys, urllib.error, urllib.request\n"
            "try:\n"
            f"    url = 'http://127.0.0.1:8080{path}'\n"
            "    r = urllib.request.urlopen(url, timeout=5)\n"
            "    print(r.status); print(r.read().decode())\n"
            "except urllib.error.HTTPError as e:\n"
            "    print(e.code); print(e.read().decode())\n"
        )
        done = self.run("/opt/envoxy/bin/python", "-c", code)
        if done.returncode != 0:
            raise OSError(
                done.stderr.strip().splitlines()[-1] if done.stderr else "no answer"
            )
        status, _, body = done.stdout.partition("\n")
        return int(status), json.loads(body) if body.strip() else None

    def wait_serving(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"the container exited: {self.stderr.read_text()}")
            try:
                if self.get("/_health")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the container never served: {self.stderr.read_text()}")

    def stop(self, timeout: float) -> int:
        """SIGTERM to PID 1, as ``docker stop`` sends it; its exit status."""
        assert self.process is not None
        os.kill(self.pid, 15)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.kill(self.pid, 9)
            except (AssertionError, ProcessLookupError):
                self.process.kill()
            self.process.wait(10)


def namespaces_usable() -> str | None:
    """Why this machine cannot run the test, or None."""
    if os.geteuid() != 0:
        return "needs root (unshare, mount, setpriv)"
    for tool in ("unshare", "nsenter", "setpriv", "ip"):
        if shutil.which(tool) is None:
            return f"needs {tool} (util-linux, iproute2)"
    return None
