"""Lifecycle hooks of a service: ``@on_startup``, ``@on_shutdown``, ``@every``.

Declared in a service module, run by envoxyd (envoxyd.boot, envoxyd.lifecycle):

- ``@on_startup``: in every worker, once its connectors have started (so the
  function may query, publish, call zmqc). One that raises is logged with its
  traceback and makes that worker's readiness 503 (``startup``) instead of
  serving half set up.
- ``@on_shutdown``: in every worker at its graceful stop (SIGTERM, SIGINT,
  each worker of a SIGHUP reload), after its periodic jobs stopped and
  before its connectors (the Zapata server first) close; each gets what remains of
  ``envoxyd.drain_seconds``, then is left behind (logged).
- ``@every(seconds)``: a periodic job, run by one worker of the daemon (the
  events worker, as MQTT and ZeroMQ views: once per host, not once per
  worker; ``per_worker=True``: in every worker), every ``seconds`` from its
  start (``at_start=True`` runs it once at once too). A run never overlaps
  the previous one: a run longer than the interval skips the ticks it
  covered. A run that raises is logged and the
  schedule goes on. At a stop the running run is finished (within the drain
  budget) and no other starts; after a SIGHUP reload the new events worker
  runs the jobs again.

The functions take no arguments. Declaring one twice (a module imported
again) keeps one.
"""

from __future__ import annotations

import inspect
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from envoxy.exceptions import ConfigError
from envoxy.utils.logs import Log

__all__ = [
    "MIN_INTERVAL_S",
    "every",
    "on_shutdown",
    "on_startup",
    "run_shutdown",
    "run_startup",
    "start_periodic",
    "startup_status",
    "stop_periodic",
]

F = TypeVar("F", bound=Callable[..., Any])

#: the shortest ``@every`` interval (a tighter loop is a busy loop)
MIN_INTERVAL_S = 0.01


@dataclass(frozen=True)
class Periodic:
    func: Callable[[], Any]
    seconds: float
    at_start: bool
    per_worker: bool


_startup: dict[str, Callable[[], Any]] = {}
_shutdown: dict[str, Callable[[], Any]] = {}
_periodic: dict[str, Periodic] = {}
_state: dict[str, Any] = {"failed": [], "ran": False}
_stop = threading.Event()
_threads: list[threading.Thread] = []


def _name(func: Callable[..., Any]) -> str:
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', func)}"


def _without_arguments(func: Any, decorator: str) -> str:
    if not callable(func):
        raise ConfigError(f"{decorator} decorates a function, got {func!r}")
    name = _name(func)
    try:
        signature = inspect.signature(func)
    except ValueError:  # a builtin without a signature: trust it
        return name
    try:
        signature.bind()
    except TypeError:
        raise ConfigError(
            f"{decorator} {name}: the function must take no arguments"
        ) from None
    return name


def on_startup(func: F) -> F:
    """Run ``func()`` in every worker once its connectors have started."""
    _startup[_without_arguments(func, "@on_startup")] = func
    return func


def on_shutdown(func: F) -> F:
    """Run ``func()`` in every worker at its graceful stop."""
    _shutdown[_without_arguments(func, "@on_shutdown")] = func
    return func


def every(
    seconds: float, *, at_start: bool = False, per_worker: bool = False
) -> Callable[[F], F]:
    """Run the function every ``seconds`` in one worker of the daemon (in
    each worker with ``per_worker=True``: a per-process cache to refresh)."""
    try:
        interval = float(seconds)
    except (TypeError, ValueError):
        interval = -1.0
    if isinstance(seconds, bool) or not interval >= MIN_INTERVAL_S:
        raise ConfigError(
            f"@every(seconds): expected a number of at least {MIN_INTERVAL_S}, "
            f"got {seconds!r}"
        )

    def decorate(func: F) -> F:
        name = _without_arguments(func, "@every")
        _periodic[name] = Periodic(func, interval, bool(at_start), bool(per_worker))
        return func

    return decorate


def _log_failure(what: str, name: str, exc: BaseException) -> None:
    trace = "".join(traceback.format_exception(exc))
    Log.error(f"{what} {name} failed: {trace}")


def run_startup() -> list[str]:
    """Run the startup hooks, in declaration order; the names that failed."""
    failed = []
    for name, func in list(_startup.items()):
        try:
            func()
        except Exception as exc:
            _log_failure("@on_startup", name, exc)
            failed.append(name)
    _state.update(failed=failed, ran=True)
    return failed


def startup_status() -> dict[str, Any] | None:
    """For readiness: ``None`` without startup hooks, else whether they all
    ran and which failed."""
    if not _startup:
        return None
    failed = list(_state["failed"])
    ok = bool(_state["ran"]) and not failed
    status: dict[str, Any] = {"ok": ok}
    if failed:
        status["failed"] = failed
    elif not _state["ran"]:
        status["error"] = "not run yet"
    return status


def _run_periodic(name: str, job: Periodic) -> None:
    started = time.monotonic()
    due = started if job.at_start else started + job.seconds
    while not _stop.wait(max(0.0, due - time.monotonic())):
        try:
            job.func()
        except Exception as exc:  # one bad run never ends the schedule
            _log_failure("@every", name, exc)
        now = time.monotonic()
        due += job.seconds
        if due <= now:  # the run covered ticks: skip them, never catch up
            due += job.seconds * ((now - due) // job.seconds + 1)


def start_periodic(events: bool = True) -> int:
    """Start a thread per ``@every`` job this worker runs (``events``: it is
    the events worker, which runs them all; others run the ``per_worker``
    ones); how many started."""
    _stop.clear()
    started = 0
    for name, job in _periodic.items():
        if not (events or job.per_worker):
            continue
        started += 1
        thread = threading.Thread(
            target=_run_periodic, args=(name, job), name=f"envoxy-every-{name}"
        )
        thread.daemon = True  # a hung job must not keep a dead worker alive
        thread.start()
        _threads.append(thread)
    return started


def stop_periodic(budget: float) -> bool:
    """No run starts after this; wait up to ``budget`` seconds for the runs
    in progress; whether they all finished."""
    _stop.set()
    deadline = time.monotonic() + budget
    finished = True
    while _threads:
        thread = _threads.pop()
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            Log.warning(f"{thread.name}: still running at the end of the drain")
            finished = False
    return finished


def run_shutdown(budget: float) -> None:
    """Run the shutdown hooks, each bounded by what remains of ``budget``."""
    deadline = time.monotonic() + budget
    for name, func in list(_shutdown.items()):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            Log.warning(f"@on_shutdown {name}: not run, the drain budget is spent")
            continue
        done = threading.Event()

        def run(
            func: Callable[[], Any] = func, name: str = name, done: Any = done
        ) -> None:
            try:
                func()
            except Exception as exc:
                _log_failure("@on_shutdown", name, exc)
            finally:
                done.set()

        threading.Thread(
            target=run, name=f"envoxy-shutdown-{name}", daemon=True
        ).start()
        if not done.wait(remaining):
            Log.warning(f"@on_shutdown {name}: still running at the end of the drain")


def clear() -> None:
    """Forget every declared hook (tests)."""
    _startup.clear()
    _shutdown.clear()
    _periodic.clear()
    _state.update(failed=[], ran=False)
