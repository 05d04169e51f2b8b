"""Where the ``--http`` router reaches the workers: a UNIX socket in a
directory made for this run and nobody else's.

uWSGI's own choice is a TCP port on 127.0.0.1, which every local user can
connect to with the uwsgi protocol, sending ``UWSGI_FILE`` and friends: code
execution inside the worker. It also costs the router a TCP handshake per
request (measured: about 18,000 req/s against 31,000-35,000 over a UNIX
socket, docs/BENCHMARKS.md). So envoxyd never lets uWSGI pick: it makes a
fresh ``mkdtemp`` directory (mode 0700, a random name created atomically, so
no directory planted in /tmp beforehand can be used against it), puts the
socket there, and has the master remove both at exit. When no such directory
can be made, envoxyd refuses to start (``RouterSocketError``) instead of
opening a port.
"""

from __future__ import annotations

import os
import stat
import tempfile

__all__ = ["RouterSocketError", "cleanup_hooks", "private_socket"]

#: sun_path holds 108 bytes including the terminating NUL.
UNIX_PATH_MAX = 107


class RouterSocketError(OSError):
    """No private directory for the router's socket could be made."""


def _runtime_dir() -> str | None:
    """``$XDG_RUNTIME_DIR`` when it is a real directory of ours that nobody
    else may enter; ``None`` otherwise (it is then not used at all)."""
    folder = os.environ.get("XDG_RUNTIME_DIR")
    if not folder:
        return None
    try:
        info = os.lstat(folder)
    except OSError:
        return None
    ours = stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
    return folder if ours and not info.st_mode & 0o077 else None


def _bases() -> list[str]:
    bases = [tempfile.gettempdir()]
    runtime = _runtime_dir()
    if runtime is not None and runtime not in bases:
        bases.insert(0, runtime)
    return bases


def private_socket(name: str) -> tuple[str, str]:
    """``(directory, socket path)`` for the socket ``envoxyd-<name>.sock`` in a
    new private directory; ``RouterSocketError`` when none can be made."""
    problems: list[str] = []
    for base in _bases():
        try:
            folder = tempfile.mkdtemp(prefix="envoxyd-", dir=base)
        except OSError as exc:
            problems.append(f"{base}: {exc.strerror or exc}")
            continue
        path = os.path.join(folder, f"envoxyd-{name}.sock")
        if len(os.fsencode(path)) <= UNIX_PATH_MAX:
            return folder, path
        os.rmdir(folder)
        problems.append(f"{base}: a socket path there is over {UNIX_PATH_MAX} bytes")
    raise RouterSocketError(
        "no private directory for the HTTP router's socket ("
        + "; ".join(problems)
        + "): set TMPDIR to a writable short path, or pass --socket PATH"
        " (or use --http-socket)"
    )


def cleanup_hooks(folder: str, path: str) -> list[str]:
    """uWSGI flags that make the master remove the socket, then its directory,
    at exit. Hooks, not shell commands: nothing is parsed by a shell, and an
    image without /bin/sh cleans up too (``call:`` runs libc's ``rmdir``)."""
    return [
        "--hook-as-user-atexit",
        f"unlink:{path}",
        "--hook-as-user-atexit",
        f"call:rmdir {folder}",
    ]
