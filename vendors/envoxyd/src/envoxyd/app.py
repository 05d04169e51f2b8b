"""The module uWSGI loads in each worker: ``envoxyd.app:application``."""

from __future__ import annotations

from envoxyd.boot import build_application

application = build_application()
