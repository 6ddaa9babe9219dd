"""What is kept: the job store (SQLite or PostgreSQL), its records, and the videos."""
