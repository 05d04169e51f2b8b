"""Names and keyword parameters upstream 0.7.1 services use (issue 14.6)."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

import envoxy
from envoxy import asserts
from envoxy.exceptions import ValidationException

UPSTREAM_NAMES = [
    "auth_anonymous_allowed",
    "Cache",
    "RedisCache",
    "AuthBackendMixin",
    "authenticate",
    "Watchdog",
    "alembic_config_path",
    "GET",
    "POST",
    "PUT",
    "PATCH",
    "DELETE",
    "SERVER_NAME",
    "CACHE_DEFAULT_TTL",
    "MAX_CONN",
    "MIN_CONN",
    "TIMEOUT_CONN",
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_OFFSET_LIMIT",
    "REDIS_BACKEND",
    "REDIS_DEFAULT_PORT",
    "ZEROMQ_POLLIN_TIMEOUT",
    "HASH_REGEX",
    "TOKEN_LENGHT",
    "EMAIL_REGEX",
]


def test_the_names_services_import_are_exported() -> None:
    namespace: dict[str, Any] = {}
    exec("from envoxy import *", namespace)  # noqa: S102
    for name in UPSTREAM_NAMES:
        assert name in envoxy.__all__, name
        assert name in namespace, name
    assert envoxy.GET == "get" and envoxy.CACHE_DEFAULT_TTL == 3600
    assert envoxy.REDIS_DEFAULT_PORT == "6379"  # a string, as upstream


def test_upstream_module_paths() -> None:
    from envoxy.auth.backends import authenticate_container
    from envoxy.cache.config import RedisCache
    from envoxy.cache.redis import RedisCache as UpstreamPath

    assert UpstreamPath is RedisCache is envoxy.RedisCache
    assert envoxy.authenticate is authenticate_container
    assert authenticate_container(None) == {}
    assert Path(envoxy.alembic_config_path()).is_file()


def test_alembic_runs_by_upstreams_module_path() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "envoxy.tools.alembic.alembic.alembic", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "upgrade" in done.stdout


def test_throttle_runs_once_per_window_even_across_threads() -> None:
    from envoxy.utils.throttle import throttle

    throttled: list[int] = []
    ran: list[int] = []

    @throttle(duration=60, on_throttling=lambda: throttled.append(1))
    def work(n: int) -> int:
        ran.append(n)
        return n

    start = threading.Barrier(8)

    def call(n: int) -> None:
        start.wait()
        work(n)

    threads = [threading.Thread(target=call, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ran) == 1 and len(throttled) == 7
    assert work(9) is None

    @throttle(duration=0)
    def free() -> str:
        return "ran"

    assert free() == free() == "ran"


def test_lru_cache_as_upstream() -> None:
    from envoxy.utils.cache import LRUCache

    cache = LRUCache(2)
    assert cache.get("a") == -1
    cache.set("a", 1)
    cache.set("b", 2)
    assert cache.get("a") == 1  # now the most recently used
    cache.set("c", 3)  # evicts b
    assert cache.get("b") == -1 and cache.get("c") == 3 and len(cache) == 2
    with pytest.raises(ValueError, match="capacity"):
        LRUCache(0)


def test_profiling_prints_and_returns(capsys: pytest.CaptureFixture[str]) -> None:
    from envoxy.utils.profiling import (
        profile_func,
        profiled_context,
        profiled_decorator,
    )

    assert profile_func(sum, [1, 2, 3], pf_top=3) == 6
    assert "function calls" in capsys.readouterr().out
    with profiled_context(top=2):
        sorted(range(10))
    assert "function calls" in capsys.readouterr().out
    assert profiled_decorator(len, top=1)([1, 2]) == 2


def test_upstreams_keyword_names_work() -> None:
    with pytest.raises(ValidationException) as raised:
        asserts.assertz(
            _expression=False, _error_message="nope", _error_code=7, _status_code=400
        )
    assert (str(raised.value), raised.value.code, raised.value.status) == (
        "nope",
        7,
        400,
    )
    reply = asserts.assertz_mandatory_reply(
        _element={}, key="name", _error_code=1200, _status_code=400
    )
    assert reply is not None and reply["status"] == 400
    assert (
        asserts.assertz_integer_reply(
            _element={"a": 1}, key="a", _error_code=1, _status_code=400
        )
        is None
    )
    with pytest.raises(ValidationException, match="No intersection"):
        asserts.assertz_intersects(x=[1], y=[2])
    assert asserts.assertz_intersects_reply(
        x=[1], y=[2], _error_code=1, _status_code=400
    )
    assert (
        asserts.assertz_unauthorized_reply(False, "who?", _error_code=3)["status"]
        == 401
    )
    assert (
        asserts.assertz_regex(regex_expr=r"\d+", _error_msg="digits", _element="12")
        is None
    )
    with pytest.raises(ValidationException, match="digits"):
        asserts.assertz_regex(regex_expr=r"\d+", _error_msg="digits", _element="1x")


def test_utility_keyword_names_work() -> None:
    from envoxy.utils.config import Config
    from envoxy.utils.datetime import Format, Now
    from envoxy.utils.logs import Log

    assert Log.truncate_text("one line") == "one line"
    assert Log.is_gte_log_level(log_level=0) is True
    parsed = Now.to_datetime("2024-01-02 03:04:05", format_str="%Y-%m-%d %H:%M:%S")
    assert parsed is not None and parsed.hour == 3
    Config.set_file_path(file_path=None)
    with pytest.raises(ValueError, match=r"^Could not parse datetime from: nope$"):
        Format.parse("nope")
    assert Log.style.ERROR == "4;35" and Log.style.BRIGHT_CYAN_BG == "106"
