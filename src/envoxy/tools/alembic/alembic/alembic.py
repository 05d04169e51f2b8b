"""``python -m envoxy.tools.alembic.alembic.alembic ...``: upstream's module
path of the migrations CLI, the same as ``envoxy-alembic ...``."""

from envoxy.tools.alembic.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
