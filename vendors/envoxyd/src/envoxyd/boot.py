"""Booting a service in a uWSGI worker: config, views, connectors, the WSGI app.

Order (upstream's, without its mandatory auth call): the config (``--set
conf=``), ``modules`` (files whose ``__loader__`` lists View classes) or
``packages`` (``<pkg>.loader.__loader__``), the ORM listeners, the HTTP app
with ``/_health`` and ``/_health/ready``, then every configured connector
through envoxy.connectors (parsed in the preflight, prepared before the fork,
started in each worker after it: Celery's app, zmqc, MQTT subscriptions) and
a Zapata server for ZeroMQ views (MQTT and ZeroMQ views run in one worker,
``envoxyd.events_worker``, default 1). Every problem is a ``ConfigError``
naming what is wrong.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from envoxy import connectors, hooks
from envoxy.auth import credentials
from envoxy.auth.backends import JwtBackend
from envoxy.db.orm.listeners import register_envoxy_listeners
from envoxy.exceptions import ConfigError
from envoxy.http.app import EnvoxyApp
from envoxy.http.cors import CorsPolicy
from envoxy.http.limits import HttpLimits
from envoxy.http.routes import HttpRoutes
from envoxy.http.zmq_backend import proxy_routes
from envoxy.utils.config import Config
from envoxy.utils.uwsgi import api as uwsgi_api
from envoxy.utils.uwsgi import option, publish
from envoxy.zeromq.views import plan_zmq_server
from envoxyd import health, lifecycle
from envoxyd.master import release_in_worker

__all__ = ["build_application", "load_config", "load_views", "option"]


#: envoxyd's own defaults, under the file and its overrides: INFO lines
#: (a line per request among them) to standard output, as documented
DAEMON_DEFAULTS = {"log": {"level": 6, "output": "stdout"}}


def load_config(conf: str | None, mode: str | None) -> dict[str, Any]:
    """The service config; ``conf`` is required unless ``mode=test``."""
    if conf:
        if not Path(conf).is_file():
            raise ConfigError(f"--set conf={conf}: no such file")
        return Config.configure(os.path.abspath(conf), defaults=DAEMON_DEFAULTS)
    if mode == "test" or os.environ.get("ENVOXY_CONF"):
        return Config.configure(defaults=DAEMON_DEFAULTS)
    raise ConfigError("give the service config: --set conf=/path/to/envoxy.json")


def _views_of(listed: Any, where: str) -> list[type]:
    if not isinstance(listed, (list, tuple)) or not listed:
        raise ConfigError(
            f"{where}: __loader__ must be a non-empty list of View classes"
        )
    for item in listed:
        if not isinstance(item, type):
            raise ConfigError(f"{where}: __loader__ holds {item!r}, not a View class")
    return list(listed)


def _load_module_file(path: str) -> list[type]:
    file = Path(path)
    if not file.is_absolute() and Config.file_path:  # relative to envoxy.json
        file = Path(Config.file_path).resolve().parent / file
    if not file.is_file():
        raise ConfigError(f"modules: {path}: no such file")
    folder = str(file.resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    name = f"envoxy_service_{abs(hash(str(file.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise ConfigError(f"modules: {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise ConfigError(f"modules: {path} failed to load: {exc!r}") from exc
    return _views_of(getattr(module, "__loader__", None), f"modules: {path}")


def _load_package(name: str) -> list[type]:
    if os.getcwd() not in sys.path:  # the service's folder, as under uWSGI
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(f"{name}.loader")
    except Exception as exc:
        raise ConfigError(f"packages: {name}.loader failed to import: {exc!r}") from exc
    return _views_of(getattr(module, "__loader__", None), f"packages: {name}.loader")


def load_views(config: Mapping[str, Any], check_only: bool = False) -> list[Any]:
    """Instances of every View class the config's modules/packages list."""
    classes: list[type] = []
    for path in config.get("modules") or []:
        classes += _load_module_file(path)
    for name in config.get("packages") or []:
        classes += _load_package(name)
    views = [klass() for klass in classes]
    if check_only:
        HttpLimits.from_config(config.get("http"))  # every limit is a number
        CorsPolicy.from_config(config.get("enable_cors"))
        proxy_routes(config)  # default_zmq_backend names a zmq_servers entry
        _check_connectors(config)
        HttpRoutes(views)  # endpoints parse, auth backends exist
        plan_zmq_server(views, config.get("zmq_server") or {})
    return views


def _check_connectors(config: Mapping[str, Any]) -> None:
    """Every entry of every connector's section parses, limits and timeouts
    included, here in the preflight (else a bad one would surface after the
    fork, in a worker's thread); so does ``auth.jwt``, and the credential
    exchange is tried once when ``credentials.server`` is set."""
    connectors.parse_all(config)
    if credentials.wanted(config.get("credentials")):  # the auth server answers
        credentials.authenticate_container(config["credentials"])
    jwt = (config.get("auth") or {}).get("jwt")
    if jwt:  # checked even when no route uses it yet
        JwtBackend(jwt)


def build_application() -> Any:
    """The WSGI application. Loaded once in the uWSGI master, then forked: the
    connectors (MQTT, ZeroMQ, zmqc, the shutdown hook) start in each worker
    after the fork. With ``--lazy-apps`` this runs in each worker instead and
    starts them at once."""
    mode = option("mode")
    config = load_config(option("conf"), mode)
    publish("conf_content", config)  # upstream services read the parsed config here
    if mode == "test":
        return EnvoxyApp(
            (),
            {
                "/": {"GET": lambda request, **_: "ENVOXY Working!"},
                "/_health": {"GET": health.liveness},
            },
        )
    views = load_views(config)
    register_envoxy_listeners()
    app = EnvoxyApp(
        views,
        {
            "/_health": {"GET": health.liveness},
            "/_health/ready": {"GET": health.readiness},
        },
        lanes=(config.get("http") or {}).get("lanes"),
        limits=HttpLimits.from_config(config.get("http")),
        cors=CorsPolicy.from_config(config.get("enable_cors")),
        fallback_routes=proxy_routes(config),  # default_zmq_backend
    )
    # PERF(boot): prepare what the workers run after fork here, once: a worker
    # that is still starting when a SIGTERM drain begins misses it (uWSGI),
    # so the post-fork work must take milliseconds, not imports.
    if not config.get("zmq_server"):  # ZeroMQ views need zmq_server.bind
        plan_zmq_server(views, {})
    if credentials.wanted(config.get("credentials")):
        credentials.exchange_once(config["credentials"])  # MQTT logs in with it
    connectors.boot_all(config, views)  # Celery's app, the Zapata server's plan
    _after_fork(lambda: start_worker(app, views, config))
    return app


def _after_fork(start: Any) -> None:
    """Run ``start`` in every worker once it exists (``shutdown`` armed first)."""
    uwsgi = uwsgi_api()
    if uwsgi is None:
        start()  # a plain WSGI server: this process is the worker
        return
    if uwsgi.worker_id() > 0:  # --lazy-apps (envoxyd's default): in the worker
        release_in_worker()
        lifecycle.arm()
        start()
        return
    previous = getattr(uwsgi, "post_fork_hook", None)

    def hook() -> None:
        if callable(previous):
            previous()
        if uwsgi.worker_id() > 0:  # not the mules or the HTTP router
            # uWSGI skips a worker still inside this hook when a SIGTERM drain
            # begins (the worker then never stops): return at once, start the
            # connectors beside the accept loop.
            release_in_worker()
            lifecycle.arm()
            threading.Thread(target=start, name="envoxyd-start", daemon=True).start()

    uwsgi.post_fork_hook = hook


def start_worker(app: Any, views: list[Any], config: Mapping[str, Any]) -> None:
    """Connectors of one worker (envoxy.connectors, each the same way), then
    the service's ``@on_startup`` hooks. The events worker also runs the MQTT
    and ZeroMQ views and the ``@every`` jobs: every worker would otherwise get
    each message and run each job, and only one can bind."""
    events = lifecycle.runs_events(config)
    connectors.start_all(config, views, events)
    hooks.run_startup()  # the service's @on_startup, connectors up
    hooks.start_periodic(events)  # @every: once per daemon, in the events worker
    lifecycle.started(app)
