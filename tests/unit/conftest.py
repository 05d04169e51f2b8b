"""Unit tests: every SQLAlchemy engine a test connected is disposed after it
(Python 3.13 warns about SQLite connections left for the garbage collector)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def dispose_engines() -> Iterator[None]:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    used: list[Any] = []

    def remember(connection: Any) -> None:
        used.append(connection.engine)

    event.listen(Engine, "engine_connect", remember)
    yield
    event.remove(Engine, "engine_connect", remember)
    for engine in {id(e): e for e in used}.values():
        engine.dispose()
