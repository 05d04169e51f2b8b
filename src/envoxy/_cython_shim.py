"""Stand-in for the ``cython`` module when Cython is not installed.

The hot-path modules are written in Cython's pure-Python mode. Compiled, the
``cython`` names are compile-time directives; uncompiled they must still
import, so this module provides the few names those modules use as no-ops.
Cython is a build-time dependency only, never a runtime one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

compiled = False


def _identity(func: F) -> F:
    return func


cfunc = ccall = cclass = inline = final = exceptval_ = _identity


def annotation_typing(flag: bool) -> Callable[[F], F]:
    """Compiled: whether annotations become C types. Uncompiled: nothing."""
    return _identity


def exceptval(*args: Any, **kwargs: Any) -> Callable[[F], F]:
    return _identity


def declare(type_: Any = None, value: Any = None, **kwargs: Any) -> Any:
    return value


def cast(type_: Any, value: Any, **kwargs: Any) -> Any:
    return value


class _CType:
    """Any C type name (``cython.int``, ``cython.char[24]``...) used as a hint."""

    def __getitem__(self, item: Any) -> _CType:
        return self

    def __call__(self, value: Any = None) -> Any:
        return value


char = uchar = p_char = p_uchar = void = int = uint = long = longlong = ulonglong = (
    Py_ssize_t
) = bint = double = _CType()
Py_UCS4 = _CType()


def address(value: Any) -> Any:
    """Compiled: a C pointer. Uncompiled: never reached (compiled-only paths)."""
    return value
