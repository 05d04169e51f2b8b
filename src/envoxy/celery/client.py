"""``celeryc``: a Celery app from ``amqp_servers`` (JSON only, bounded retries).

The broker is ``amqp://`` unless the server's ``cert_path`` asks for TLS
(``amqps://``, verified against that CA); credentials and the vhost are
URL-escaped. ``redis_servers.celery`` becomes the result backend and
``mongodb_servers.celery`` the celerybeat-mongo scheduler's store (upstream's
``mongodb_scheduler_db``/``mongodb_scheduler_url``). Tasks come
from ``packages`` (each package and its ``tasks`` module) or ``task_modules``;
``default_task_queue`` routes them all to one queue. Only JSON is accepted on
the wire: no pickle.
"""

from __future__ import annotations

import importlib.util
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from envoxy.exceptions import ConfigError

__all__ = ["Client", "broker_url", "celery_settings"]


def broker_url(key: str, conf: Mapping[str, Any]) -> str:
    missing = [name for name in ("host", "user") if not conf.get(name)]
    if missing:
        raise ConfigError(f"amqp_servers.{key} lacks {', '.join(missing)}")
    scheme = "amqps" if conf.get("cert_path") else "amqp"
    try:
        port = int(conf.get("port") or (5671 if scheme == "amqps" else 5672))
    except (TypeError, ValueError):
        raise ConfigError(f"amqp_servers.{key}.port must be a number") from None
    user = quote(str(conf["user"]), safe="")
    password = quote(str(conf.get("passwd", "")), safe="")
    vhost = quote(str(conf.get("vhost", "/") or "/"), safe="")
    return f"{scheme}://{user}:{password}@{conf['host']}:{port}/{vhost}"


def _modules(config: Mapping[str, Any]) -> list[str]:
    packages = config.get("packages") or []
    if not packages:
        return list(config.get("task_modules") or [])
    modules: list[str] = []
    for package in packages:
        modules.append(package)
        try:
            found = importlib.util.find_spec(f"{package}.tasks") is not None
        except ModuleNotFoundError:
            found = False
        if found:
            modules.append(f"{package}.tasks")
    return modules


def _mongodb_scheduler(conf: Mapping[str, Any]) -> dict[str, str]:
    """celerybeat-mongo's settings from ``mongodb_servers.celery`` (user,
    passwd, host, port, db), credentials URL-escaped."""
    missing = [name for name in ("host", "db") if not conf.get(name)]
    if missing:
        raise ConfigError(f"mongodb_servers.celery lacks {', '.join(missing)}")
    auth = ""
    if conf.get("user"):
        auth = quote(str(conf["user"]), safe="")
        if conf.get("passwd"):
            auth += ":" + quote(str(conf["passwd"]), safe="")
        auth += "@"
    port = conf.get("port") or 27017
    return {
        "mongodb_scheduler_db": str(conf["db"]),
        "mongodb_scheduler_url": f"mongodb://{auth}{conf['host']}:{port}/{conf['db']}",
    }


def celery_settings(
    config: Mapping[str, Any], server_key: str | None = None
) -> dict[str, Any]:
    """Celery configuration for an envoxy config (a plain dict, easy to test)."""
    servers = {
        k: v
        for k, v in (config.get("amqp_servers") or {}).items()
        if isinstance(v, Mapping)
    }
    if not servers:
        raise ConfigError("Error to find AMQP Servers config")
    key = server_key or next(iter(servers))
    if key not in servers:
        raise ConfigError(f"No configuration found for amqp server key: {key!r}")
    server = servers[key]
    settings: dict[str, Any] = {
        "broker_url": broker_url(key, server),
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        "broker_connection_retry_on_startup": True,
        "broker_connection_max_retries": 10,
        "broker_connection_timeout": 5,
        "task_publish_retry": True,
        "task_publish_retry_policy": {
            "max_retries": 3,
            "interval_start": 0.2,
            "interval_step": 0.5,
            "interval_max": 2,
        },
        "include": _modules(config),
    }
    if server.get("cert_path"):
        settings["broker_use_ssl"] = {
            "ca_certs": server["cert_path"],
            "cert_reqs": ssl.CERT_REQUIRED,
        }
    redis = (config.get("redis_servers") or {}).get("celery")
    if isinstance(redis, Mapping):
        from envoxy.redis.client import server_settings

        found = server_settings("celery", redis)
        auth = f":{quote(found['password'], safe='')}@" if found["password"] else ""
        settings["result_backend"] = (
            f"redis://{auth}{found['host']}:{found['port']}/{found['db']}"
        )
    mongo = (config.get("mongodb_servers") or {}).get("celery")
    if isinstance(mongo, Mapping):
        settings.update(_mongodb_scheduler(mongo))
    queue = config.get("default_task_queue")
    if queue:
        settings["task_default_queue"] = queue
        settings["task_routes"] = {
            f"{module}.*": {"queue": queue} for module in settings["include"]
        }
    return settings


class Client:
    """Upstream's ``celeryc``: ``Client.initialize()``, then ``Client.app``."""

    app: Any = None

    @classmethod
    def initialize(cls, server_key: str | None = None) -> Any:
        """Build (once) and return the Celery app from the loaded config."""
        from celery import Celery

        from envoxy.utils.config import Config

        settings = celery_settings(Config.load(), server_key)
        app = Celery("envoxy")
        app.conf.update(settings)
        if settings["include"]:
            app.autodiscover_tasks(settings["include"], related_name=None)
        cls.app = app
        return app

    @classmethod
    def send(cls, task_name: str, *args: Any, **kwargs: Any) -> Any:
        """Queue ``task_name(*args, **kwargs)``; returns Celery's AsyncResult."""
        app = cls.app or cls.initialize()
        return app.send_task(task_name, args=args, kwargs=kwargs)
