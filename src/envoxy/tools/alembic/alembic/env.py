"""Alembic environment of envoxy services: runs envoxy's migration environment.

Service directories made by envoxy-alembic carry a two-line env.py calling the
same function; older ones star-import this module, which works too.
"""

from envoxy.tools.alembic.environment import run_migrations

run_migrations()
