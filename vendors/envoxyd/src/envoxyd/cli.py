"""``envoxyd``: upstream's invocation, uWSGI underneath.

``envoxyd --http :8080 --set conf=envoxy.json [any uWSGI flag ...]``. Before
uWSGI starts, the configuration and the service's modules are loaded once
here (no connection is opened), so a bad config or a broken view module stops
the boot with one clear message and exit status 2 instead of a worker
respawn loop. Then uWSGI (the pyuwsgi wheel) runs with envoxyd's defaults;
any of them can be overridden by passing the flag.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Sequence

from envoxyd.router_socket import cleanup_hooks, private_socket

__all__ = ["build_arguments", "main"]

APP_MODULE = "envoxyd.app:application"

#: (flag, value or None): applied unless the command line sets the flag.
DEFAULTS: tuple[tuple[str, str | None], ...] = (
    ("--master", None),
    ("--processes", str(os.cpu_count() or 2)),
    ("--enable-threads", None),
    # two threads a worker: a slow client's body can hold one of them (at most
    # http.slow_body_slots per worker), never the whole worker; measured cost
    # for a JSON view behind the router: about 3-5% (docs/SECURITY.md)
    ("--threads", "2"),
    ("--need-app", None),
    ("--die-on-term", None),
    ("--disable-logging", None),
    # the largest uwsgi packet there is (its size field has 16 bits): request
    # headers up to ~64 KiB reach the app (a 40 KB token is a 401, not a
    # closed connection); past that uWSGI itself closes the connection
    ("--buffer-size", "65535"),
    # an idle keep-alive connection is closed after 30 s (uWSGI: 60 s)
    ("--http-keepalive", "30"),
    # a client has 10 s to send a request's headers (uWSGI: 60 s); the router
    # holds such connections, never a worker
    ("--http-headers-timeout", "10"),
    # the router passes chunked request bodies on whole (else it drops the
    # chunks after the first packet); envoxy reads them (envoxy.http.body)
    ("--http-chunked-input", None),
    ("--harakiri", "90"),
    # each worker loads the service itself: SIGHUP's chain reload (below)
    # then starts workers on the new code and config, one at a time
    ("--lazy-apps", None),
    # where the events worker publishes its status for every worker's readiness
    ("--cache2", "name=envoxyd,items=16,blocksize=8192"),
    ("--module", APP_MODULE),
)

#: Always added. SIGTERM: envoxyd.master drains (readiness 503 "draining",
#: everything received answered), then the SIGINT hook's graceful stop; the
#: SIGTERM hook is the fallback should the master module not load. SIGHUP
#: (logrotate, ``systemctl reload``, ``envoxyd --reload PIDFILE``): a chain
#: reload, one worker after the other (uWSGI's binary reload, its default,
#: cannot re-exec pyuwsgi inside a virtualenv: every connection was refused).
DRAIN_HOOKS: tuple[tuple[str, str | None], ...] = (
    ("--shared-import", "envoxyd.master"),
    # the master runs Python threads (the SIGTERM drain, systemd's watchdog):
    # without CPython's own before/after-fork steps a worker forked while one
    # of them held the GIL hangs before loading the app (uWSGI issue 2387),
    # and os.register_at_fork handlers never run in workers
    ("--py-call-uwsgi-fork-hooks", None),
    ("--hook-master-start", "unix_signal:15 gracefully_kill_them_all"),
    ("--hook-master-start", "unix_signal:2 gracefully_kill_them_all"),
    ("--hook-master-start", "unix_signal:1 uwsgi_chain_reload"),
)

#: uWSGI flags that act on a running instance and start nothing
_CONTROL_FLAGS = {"--reload", "--stop", "--brutal-reload", "--graceful-reload"}

_APP_FLAGS = {"--module", "-w", "--wsgi-file", "--file", "--mount", "--callable"}

#: uWSGI options whose value is optional: it must be attached (``--flag=v``),
#: a separate word would be read as a config file
_ATTACHED = {"--http-keepalive"}

#: Flags that already say where the ``--http`` router sends requests.
_BACKEND_FLAGS = {"--socket", "-s", "--uwsgi-socket", "--http-to", "--http-use-socket"}


def _given(argv: Sequence[str]) -> set[str]:
    flags = set()
    for arg in argv:
        if arg.startswith("-"):
            flags.add(arg.split("=", 1)[0])
    return flags


def build_arguments(
    argv: Sequence[str], name: str | None = None, drain_seconds: float | None = None
) -> list[str]:
    """The uWSGI command line: the user's flags plus every default they did
    not set (an app flag of theirs replaces envoxyd's module). With ``--http``
    and no backend of theirs, the router reaches the workers over a UNIX
    socket in a new private directory (``envoxyd.router_socket``; ``name``
    names the socket, default: this process's pid, which uWSGI's master keeps
    through exec, and 8 random hex digits), both removed at exit; never a
    TCP port. ``RouterSocketError`` when no such directory can be made."""
    given = _given(argv)
    arguments = list(argv)
    if "--http" in given and not given & _BACKEND_FLAGS:
        if name is None:
            name = f"{os.getpid()}-{secrets.token_hex(4)}"
        folder, path = private_socket(name)
        arguments += ["--socket", path, *cleanup_hooks(folder, path)]
    for flag, value in DEFAULTS:
        if flag in given or (flag == "--module" and given & _APP_FLAGS):
            continue
        if value is None:
            arguments.append(flag)
        elif flag in _ATTACHED:
            arguments.append(f"{flag}={value}")
        else:
            arguments += [flag, value]
    for flag, value in DRAIN_HOOKS:
        arguments += [flag] if value is None else [flag, value]
    if drain_seconds is not None:
        arguments += ["--set", f"envoxyd-drain-seconds={drain_seconds:g}"]
    return arguments


def _setting(argv: Sequence[str], name: str) -> str | None:
    """The value of ``--set name=value`` (last one wins)."""
    found = None
    for index, arg in enumerate(argv):
        if arg in ("--set", "-S") and index + 1 < len(argv):
            key, _, value = argv[index + 1].partition("=")
            if key == name:
                found = value
        elif arg.startswith("--set="):
            key, _, value = arg[len("--set=") :].partition("=")
            if key == name:
                found = value
    return found


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    import envoxy

    try:
        mine = version("envoxyd")
    except PackageNotFoundError:
        mine = "unknown"
    return (
        f"envoxyd {mine} (envoxy {envoxy.__version__}, Python "
        f"{sys.version.split()[0]}); compiled: {envoxy.extension_status()}"
    )


def preflight(conf: str | None, mode: str | None) -> float:
    """Load the config and the service's views once, opening nothing; the
    drain budget (``envoxyd.drain_seconds``)."""
    from envoxyd.boot import load_config, load_views
    from envoxyd.lifecycle import drain_budget

    config = load_config(conf, mode)
    if mode != "test":
        load_views(config, check_only=True)
    return drain_budget(config)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-V"]):
        print(_version())
        return 0
    runner = "import sys, pyuwsgi; pyuwsgi.run(sys.argv[1:])"
    if args and args[0] in _CONTROL_FLAGS:  # e.g. envoxyd --reload PIDFILE
        os.execv(sys.executable, [sys.executable, "-c", runner, *args])  # noqa: S606
    check_only = "--check" in args  # CI: the preflight alone, then exit
    if check_only:
        args = [arg for arg in args if arg != "--check"]
    conf, mode = _setting(args, "conf"), _setting(args, "mode")
    try:
        drain = preflight(conf, mode)
        if check_only:
            print(
                f"envoxyd: {conf}: the config and the views load (no connection made)"
            )
            return 0
        arguments = build_arguments(args, drain_seconds=drain)
    except Exception as exc:  # any boot problem: one clear line, exit 2
        from envoxy.utils.redact import redact

        line = " ".join(str(exc).split())  # one line, whatever the message
        print(f"envoxyd: cannot start: {redact(line)}", file=sys.stderr)
        return 2
    os.execv(sys.executable, [sys.executable, "-c", runner, *arguments])  # noqa: S606
    return 0  # not reached


if __name__ == "__main__":
    raise SystemExit(main())
