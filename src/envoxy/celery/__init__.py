"""Celery: ``celeryc``, a Celery app built from envoxy.json."""
