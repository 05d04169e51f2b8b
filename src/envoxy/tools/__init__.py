"""Command-line tools: envoxy-alembic, check_migrations, validate_models."""
