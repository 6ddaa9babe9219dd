"""Alembic's scripts for the job table (``env.py`` and ``versions/``); see ``.schema``."""
