"""``EnvoxySessionManager``: an engine, its sessionmaker and unit-of-work helpers."""

from __future__ import annotations

import functools
import os
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["EnvoxySessionManager"]

F = TypeVar("F", bound=Callable[..., Any])

#: Pool settings for server databases (SQLite keeps SQLAlchemy's own pool choice).
POOL_DEFAULTS: dict[str, Any] = {
    "pool_pre_ping": True,
    "pool_size": 20,
    "max_overflow": 10,
    "pool_timeout": 30,
    "pool_recycle": 1800,
}


_managers: weakref.WeakSet[EnvoxySessionManager] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    """A forked worker (uWSGI preforking) must not reuse the parent's pooled
    connections: SQLAlchemy's documented ``dispose(close=False)``."""
    for manager in list(_managers):
        manager.engine.dispose(close=False)


os.register_at_fork(after_in_child=_after_fork_in_child)


class EnvoxySessionManager:
    """Owns an engine; ``session_scope()`` commits on success, rolls back on error."""

    def __init__(
        self,
        url: str | None = None,
        engine: Engine | None = None,
        engine_kwargs: dict[str, Any] | None = None,
        session_kwargs: dict[str, Any] | None = None,
    ) -> None:
        if engine is None:
            if not url:
                raise ValueError(
                    "EnvoxySessionManager needs a database url or an engine"
                )
            options = (
                {}
                if make_url(url).get_backend_name() == "sqlite"
                else dict(POOL_DEFAULTS)
            )
            options.update(engine_kwargs or {})
            engine = create_engine(url, **options)
        self.engine = engine
        _managers.add(self)
        self.Session = sessionmaker(
            bind=engine, expire_on_commit=False, **(session_kwargs or {})
        )

    @contextmanager
    def session_scope(self) -> Iterator[Session]:
        session = self.Session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def transactional(self) -> Callable[[F], F]:
        """Decorator: run the function in a session passed as ``session=``, unless
        the caller passes a ``Session`` of its own."""

        def decorate(func: F) -> F:
            @functools.wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                if isinstance(kwargs.get("session"), Session):
                    return func(*args, **kwargs)
                with self.session_scope() as session:
                    kwargs["session"] = session
                    return func(*args, **kwargs)

            return wrapper  # type: ignore[return-value]

        return decorate

    def dispose(self) -> None:
        self.engine.dispose()
