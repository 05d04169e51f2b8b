"""Alembic environment: envoxy's, shared by every envoxy service."""

from envoxy.tools.alembic.environment import run_migrations

run_migrations()
