"""Redis: the ``redisc`` client."""
