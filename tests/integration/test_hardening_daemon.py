"""Issue 12, the daemon as an adversary sees it: real envoxyd processes,
real sockets and signals. One test per reproduction of the issue."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.daemon import Daemon

pytestmark = pytest.mark.integration

VIEWS = """
import os
import time

from envoxy import View, on


@on(endpoint="/v3/items/{item_id:int}", protocols=["http"])
class Item(View):
    def get(self, request, item_id, **kwargs):
        return {"id": item_id, "pid": os.getpid()}

    def post(self, request, item_id, **kwargs):
        return {"id": item_id, "size": len(request.get_data())}, 201


@on(endpoint="/v3/slow", protocols=["http"])
class Slow(View):
    def get(self, request, **kwargs):
        time.sleep(float(request.args.get("s", "1")))
        return {"slept": True, "pid": os.getpid()}


__loader__ = [Item, Slow]
"""


def router_socket_of(daemon: Daemon) -> Path:
    found = re.search(r"bound to UNIX address (\S+\.sock)", daemon.log.read_text())
    assert found, "the router's backend is not a UNIX socket"
    return Path(found[1])


@pytest.mark.skipif(os.geteuid() != 0, reason="planting a folder as another user")
def test_a_planted_socket_folder_never_opens_a_uwsgi_port(tmp_path: Path) -> None:
    """12.1: ``<tmp>/envoxyd-<uid>`` made by another local user (here nobody,
    mode 0777) made envoxyd fall back to uWSGI's TCP socket on 127.0.0.1,
    where that user could send UWSGI_FILE and run code in the worker."""
    shared_tmp = Path(tempfile.mkdtemp(prefix="eh-"))  # short: sun_path is 108 bytes
    shared_tmp.chmod(0o1777)
    planted = shared_tmp / f"envoxyd-{os.getuid()}"
    planted.mkdir()
    planted.chmod(0o777)
    os.chown(planted, 65534, 65534)  # nobody's
    service = tmp_path / "svc"
    service.mkdir()
    daemon = Daemon(service, {}, VIEWS, env={"TMPDIR": str(shared_tmp)}).start()
    try:
        socket_path = router_socket_of(daemon)
        folder = socket_path.parent
        assert folder.parent == shared_tmp and folder != planted
        assert folder.stat().st_uid == os.getuid()
        assert folder.stat().st_mode & 0o777 == 0o700
        assert daemon.listening_tcp_ports() == {daemon.port}  # HTTP only
        assert daemon.get("/v3/items/1")[0] == 200
        assert list(planted.iterdir()) == []
    finally:
        assert daemon.stop() == 0
        shutil.rmtree(shared_tmp)
    assert not folder.exists()


def test_no_private_folder_means_no_start(tmp_path: Path) -> None:
    """12.1: when no private folder can be made (here every socket path in the
    temp dir would be over 107 bytes), refuse with one line, no TCP port."""
    deep = tmp_path / ("d" * 110)
    deep.mkdir()
    daemon = Daemon(tmp_path, {}, VIEWS)
    done = subprocess.run(
        daemon.command(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "TMPDIR": str(deep), "XDG_RUNTIME_DIR": ""},
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "no private directory" in lines[0], lines
