"""One Alembic revision per file, oldest first (``0001``, ``0002``, ...)."""
