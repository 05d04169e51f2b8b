"""The example service: CRUD over greetings, stored with SQLAlchemy in SQLite.

``make run`` serves it with envoxyd on http://127.0.0.1:8080 (no broker, no
database server: SQLite in this folder and the in-process cache).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from models import Greeting  # noqa: E402 - the folder is on the path just above

from envoxy import Config, ValidationException, View, cache, on  # noqa: E402
from envoxy.asserts import assertz_mandatory, assertz_string  # noqa: E402
from envoxy.db.orm import metadata  # noqa: E402
from envoxy.db.orm.manager import EnvoxySessionManager  # noqa: E402

settings = Config.get("hello") or {}
database = settings.get("database") or f"sqlite:///{HERE / 'hello.db'}"
manager = EnvoxySessionManager(url=database)
metadata.create_all(manager.engine)


def _checked(body: Any, partial: bool = False) -> dict[str, str]:
    if not isinstance(body, dict):
        raise ValidationException("send a JSON object", code=1400, status=400)
    fields = {}
    for field, limit in (("name", 80), ("message", 280)):
        if field not in body and partial:
            continue
        assertz_mandatory(body, field)
        assertz_string(body[field])
        if len(body[field]) > limit:
            raise ValidationException(
                f"{field} is longer than {limit} characters", code=1422, status=422
            )
        fields[field] = body[field]
    return fields


def _find(session: Any, greeting_id: str) -> Greeting:
    greeting = session.get(Greeting, greeting_id)
    if greeting is None:
        raise ValidationException(f"no greeting {greeting_id}", code=1404, status=404)
    return greeting


@on(endpoint="/v3/greetings", protocols=["http"])
class Greetings(View):
    def get(self, request: Any, **kwargs: Any) -> Any:
        with manager.session_scope() as session:
            rows = session.query(Greeting).order_by(Greeting.created).all()
            return [row.as_dict() for row in rows]

    def post(self, request: Any, **kwargs: Any) -> Any:
        fields = _checked(request.get_json())
        with manager.session_scope() as session:
            greeting = Greeting(**fields)
            session.add(greeting)
            session.flush()
            return greeting.as_dict(), 201


@on(endpoint="/v3/greetings/{greeting_id:str}", protocols=["http"])
class GreetingDocument(View):
    def get(self, request: Any, greeting_id: str, **kwargs: Any) -> Any:
        with manager.session_scope() as session:
            return _find(session, greeting_id).as_dict()

    def put(self, request: Any, greeting_id: str, **kwargs: Any) -> Any:
        fields = _checked(request.get_json(), partial=True)
        with manager.session_scope() as session:
            greeting = _find(session, greeting_id)
            for field, value in fields.items():
                setattr(greeting, field, value)
            session.flush()
            return greeting.as_dict()

    def delete(self, request: Any, greeting_id: str, **kwargs: Any) -> Any:
        with manager.session_scope() as session:
            session.delete(_find(session, greeting_id))
        return None  # 204


@on(endpoint="/v3/stats", protocols=["http"])
class Stats(View):
    @cache(ttl=2)  # the in-process cache: a count at most 2 s old
    def get(self, request: Any, **kwargs: Any) -> Any:
        with manager.session_scope() as session:
            return {"greetings": session.query(Greeting).count()}


__loader__ = [Greetings, GreetingDocument, Stats]
