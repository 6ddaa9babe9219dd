"""What is kept on disk: the SQLite job store, its records, and the local video files."""
