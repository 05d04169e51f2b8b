"""The packaged migration script directory; ``python -m`` runs envoxy-alembic."""
