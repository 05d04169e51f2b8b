"""Persistence: the ORM conventions (``envoxy.db.orm``) and database helpers."""
