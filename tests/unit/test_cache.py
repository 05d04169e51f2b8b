"""The cache: LRU backend, stable keys, stale-if-error, single-flight, @cache."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import envoxy.cache as cache
from envoxy.cache import (
    CacheStore,
    MemoryBackend,
    MemoryCache,
    NotCacheable,
    build_store,
    cache_key,
    default_store,
    reset_default_store,
)
from envoxy.exceptions import ConfigError
from envoxy.utils.config import Config
from envoxy.views.containers import Response
from tests.concurrency import run_together


def test_lru_evicts_least_recent_and_expires() -> None:
    backend = MemoryBackend(capacity=2)
    backend.set("a", b"1", 60)
    backend.set("b", b"2", 60)
    assert backend.get("a") == b"1"  # a is now most recent
    backend.set("c", b"3", 60)
    assert backend.get("b") is None
    assert (backend.get("a"), backend.get("c")) == (b"1", b"3")
    assert len(backend) == 2
    expiring = MemoryBackend()
    expiring.set("short", b"x", 0.01)
    time.sleep(0.02)
    assert expiring.get("short") is None
    assert len(expiring) == 0


def test_lru_is_thread_safe() -> None:
    backend = MemoryBackend(capacity=100)

    def work(n: int) -> None:
        for i in range(500):
            backend.set(f"{n}:{i % 150}", b"v", 60)
            backend.get(f"{n}:{(i * 7) % 150}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(backend) == 100


def test_keys_are_stable_and_documented() -> None:
    assert cache_key("/v3/cards", "get", {}) == "envoxy:/v3/cards:get:e30="
    assert cache_key("/x", 0, None, prefix="svc") == "svc:/x:0:bnVsbA=="
    assert cache_key("/x", "post", {"a": 1, "b": 2}) == cache_key(
        "/x", "post", {"b": 2, "a": 1}
    )


def test_upstream_get_set_api() -> None:
    store = MemoryCache({"ttl": 60})
    assert store.get("/a", "get", {}) == {}
    assert store.set("/a", "get", {}, {"x": 1})
    assert store.get("/a", "get", {}) == {"x": 1}


def test_fresh_values_are_not_reloaded() -> None:
    store = CacheStore(MemoryBackend(), ttl=60)
    calls: list[int] = []
    for _ in range(3):
        assert store.get_or_load("k", lambda: calls.append(1) or {"n": len(calls)}) == {
            "n": 1
        }
    assert len(calls) == 1


def test_stale_value_is_served_while_the_origin_fails() -> None:
    store = CacheStore(MemoryBackend(), ttl=0.05, stale_if_error=60)
    assert store.get_or_load("k", lambda: "good") == "good"
    time.sleep(0.06)

    def failing() -> str:
        raise ConnectionError("origin down")

    assert store.get_or_load("k", failing) == "good"  # stale, within the window
    assert store.get_or_load("k", lambda: "fresh") == "fresh"  # origin back


def test_stale_window_is_bounded() -> None:
    store = CacheStore(MemoryBackend(), ttl=0.02, stale_if_error=0.03)
    store.get_or_load("k", lambda: "good")
    time.sleep(0.08)
    with pytest.raises(ConnectionError):
        store.get_or_load("k", lambda: (_ for _ in ()).throw(ConnectionError("down")))
    no_stale = CacheStore(MemoryBackend(), ttl=0.01)
    no_stale.get_or_load("k", lambda: "good")
    time.sleep(0.02)
    with pytest.raises(ConnectionError):
        no_stale.get_or_load(
            "k", lambda: (_ for _ in ()).throw(ConnectionError("down"))
        )


def test_concurrent_misses_load_once() -> None:
    store = CacheStore(MemoryBackend(), ttl=60)
    calls: list[int] = []
    gate = threading.Event()

    def slow() -> dict[str, int]:
        calls.append(1)
        gate.wait(5)
        return {"value": 42}

    results = run_together(16, lambda: store.get_or_load("k", slow), gate)
    assert len(calls) == 1
    assert results == [{"value": 42}] * 16
    results[0]["value"] = 0  # each caller got its own copy
    assert results[1] == {"value": 42}


def test_followers_see_the_leaders_error() -> None:
    store = CacheStore(MemoryBackend(), ttl=60)
    gate = threading.Event()

    def failing() -> None:
        gate.wait(5)
        raise LookupError("no such thing")

    errors = run_together(5, lambda: store.get_or_load("k", failing), gate)
    assert len(errors) == 5
    assert all(isinstance(error, LookupError) for error in errors)


class BrokenBackend:
    name = "broken"

    def get(self, key: str) -> bytes | None:
        raise ConnectionError("cache down")

    def set(self, key: str, data: bytes, ttl: float) -> None:
        raise ConnectionError("cache down")

    def delete(self, key: str) -> None:
        raise ConnectionError("cache down")


def test_a_broken_cache_never_breaks_the_caller() -> None:
    store = CacheStore(BrokenBackend(), ttl=60)
    assert store.get_or_load("k", lambda: "from origin") == "from origin"
    assert store.get_value("k") is None
    store.set_value("k", 1)
    store.delete("k")


def test_not_cacheable_answers_pass_through() -> None:
    store = CacheStore(MemoryBackend(), ttl=0.02, stale_if_error=60)
    with pytest.raises(NotCacheable):
        store.get_or_load(
            "k", lambda: (_ for _ in ()).throw(NotCacheable("404 answer"))
        )
    store.get_or_load("k", lambda: "good")
    time.sleep(0.03)
    assert (
        store.get_or_load(
            "k", lambda: (_ for _ in ()).throw(NotCacheable("500", origin_failed=True))
        )
        == "good"
    )
    with pytest.raises(NotCacheable):
        store.get_or_load(
            "k", lambda: (_ for _ in ()).throw(NotCacheable("404 answer"))
        )


def test_store_from_config() -> None:
    assert isinstance(build_store(None).backend, MemoryBackend)
    assert (
        build_store({"backend": "memory", "ttl": "5", "key_prefix": "svc"}).key_prefix
        == "svc"
    )
    with pytest.raises(ConfigError, match=r"cache\.backend"):
        build_store({"backend": "memcached"})
    with pytest.raises(ConfigError, match="cache"):
        build_store({"backend": "memory", "ttl": "soon"})


class Request:
    def __init__(self, full_path: str, body: Any = None) -> None:
        self.full_path = full_path
        self.body = body

    def get_json(self, silent: bool = False) -> Any:
        return self.body


class View:
    def __init__(self) -> None:
        self.calls = 0
        self.status = 200

    @cache(ttl=60, stale_if_error=60)
    def get(self, request: Request, **kwargs: Any) -> Any:
        self.calls += 1
        if self.status >= 500:
            raise RuntimeError("origin down")
        return Response({"payload": {"n": self.calls}, "status": self.status})

    @cache(ttl=60)
    def post(self, request: Request) -> Any:
        self.calls += 1
        return [request.body]


@pytest.fixture
def fresh_cache(tmp_path: Path) -> Iterator[None]:
    path = tmp_path / "envoxy.json"
    path.write_text(
        json.dumps({"cache": {"backend": "memory", "key_prefix": "t"}}),
        encoding="utf-8",
    )
    Config.configure(path, environ={})
    reset_default_store()
    yield
    reset_default_store()
    Config.reset()


def test_view_decorator_caches_200_answers(fresh_cache: None) -> None:
    view = View()
    first = view.get(Request("/v3/things?"))
    second = view.get(Request("/v3/things?"))
    assert first.get_json() == second.get_json() == {"n": 1}
    assert view.calls == 1
    assert view.get(Request("/v3/things?page=2")).get_json() == {"n": 2}
    assert default_store().key_prefix == "t"


def test_view_decorator_keys_post_bodies(fresh_cache: None) -> None:
    view = View()
    assert view.post(Request("/v3/x", {"a": 1})).get_json() == {
        "elements": [{"a": 1}],
        "size": 1,
    }
    view.post(Request("/v3/x", {"a": 1}))
    view.post(Request("/v3/x", {"a": 2}))
    assert view.calls == 2


class ShortLivedView(View):
    @cache(ttl=0.01, stale_if_error=60)
    def get(self, request: Request, **kwargs: Any) -> Any:
        return View.get.__wrapped__(self, request, **kwargs)


def test_view_decorator_skips_errors_and_serves_stale(fresh_cache: None) -> None:
    view = ShortLivedView()
    view.status = 404
    assert view.get(Request("/v3/y")).status_code == 404
    assert view.get(Request("/v3/y")).status_code == 404
    assert view.calls == 2  # error answers are not cached
    view.status = 200
    assert view.get(Request("/v3/y")).get_json() == {"n": 3}
    time.sleep(0.02)
    view.status = 500  # the view now fails
    assert view.get(Request("/v3/y")).get_json() == {"n": 3}  # stale while failing
    view.status = 200
    assert view.get(Request("/v3/y")).get_json() == {"n": 5}


class Headed(Request):
    def __init__(self, full_path: str, headers: dict[str, str]) -> None:
        super().__init__(full_path)
        self.headers = headers


def test_identity_is_a_hash_of_who_calls_and_of_the_varied_headers() -> None:
    from envoxy.cache.decorator import identity_of

    anonymous = Headed("/x", {})
    assert identity_of(anonymous) == ""  # upstream's key exactly
    alice = identity_of(Headed("/x", {"Authorization": "Bearer a"}))
    bob = identity_of(Headed("/x", {"authorization": "Bearer b"}))  # any case
    assert alice.startswith("u-") and len(alice) == 34 and alice != bob
    assert "Bearer" not in alice  # the token itself never lands in a key
    cookie = identity_of(Headed("/x", {"Cookie": "session=1"}))
    assert cookie not in ("", alice)
    de = identity_of(Headed("/x", {"Accept-Language": "de"}), ["Accept-Language"])
    assert de not in ("", identity_of(Headed("/x", {"Accept-Language": "pt"})))
    assert identity_of(Headed("/x", {"Accept-Language": "de"})) == ""  # not varied


def test_cache_above_auth_is_reordered_so_auth_runs_first(
    fresh_cache: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import envoxy.auth.decorators as decorators
    from envoxy.auth.decorators import AUTH_MARK, auth_required

    calls: list[str] = []

    def deny(*args: Any, **kwargs: Any) -> Any:
        calls.append("auth")
        raise PermissionError("no")

    class Guarded:
        @cache(ttl=60)
        @auth_required(roles=["x"])
        def get(self, request: Any, **kwargs: Any) -> Any:
            calls.append("view")
            return {"ok": True}

    assert getattr(Guarded.get, AUTH_MARK) == "required"  # boot still sees it
    monkeypatch.setattr(decorators._mixin, "authenticate", deny)
    with pytest.raises(PermissionError):
        Guarded().get(Headed("/y", {}))
    assert calls == ["auth"]  # refused before the cache or the view ran
