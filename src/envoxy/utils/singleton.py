"""Process-wide and per-thread singletons, safe to create from many threads."""

from __future__ import annotations

import threading
from typing import Any, ClassVar, Self

__all__ = ["Singleton", "SingletonPerThread"]


class Singleton:
    """``Cls.instance()`` returns the one instance of ``Cls`` (each subclass its own).

    Constructor arguments count only on the first call. Each class gets its lock
    when the class is created, so two threads can never build two instances.
    """

    _instance: ClassVar[Any] = None
    _singleton_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._instance = None
        cls._singleton_lock = threading.Lock()

    @classmethod
    def instance(cls, *args: Any, **kwargs: Any) -> Self:
        obj = cls._instance
        if obj is None:
            with cls._singleton_lock:
                obj = cls._instance
                if obj is None:
                    obj = cls(*args, **kwargs)
                    cls._instance = obj
        return obj

    @classmethod
    def existing(cls) -> Self | None:
        """The instance if one was built; never builds one (for shutdown:
        close what exists without connecting anything new)."""
        return cls._instance  # type: ignore[no-any-return]

    @classmethod
    def instance_with_queue(cls, queue_: Any) -> Self:
        return cls.instance(queue_=queue_)

    @classmethod
    def reset_instance(cls) -> None:
        """Drop the instance; the next ``instance()`` builds a new one."""
        with cls._singleton_lock:
            cls._instance = None


class SingletonPerThread:
    """``Cls.instance()`` returns one instance per thread."""

    _local: ClassVar[threading.local] = threading.local()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._local = threading.local()

    @classmethod
    def instance(cls, *args: Any, **kwargs: Any) -> Self:
        obj = getattr(cls._local, "instance", None)
        if obj is None:
            obj = cls(*args, **kwargs)
            cls._local.instance = obj
        return obj
