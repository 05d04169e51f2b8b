"""PostgreSQL: SQLAlchemy session helpers (the raw ``pgsqlc`` client comes later)."""
