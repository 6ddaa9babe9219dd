"""The job table's schema, as an ordered list of migrations.

The file records how many were applied in ``PRAGMA user_version``, and
opening a store applies the rest inside one write transaction. Adding a column
means appending a migration *and* a field (defaulting to ``None``) to
:class:`~.records.JobRecord`; a test checks the two agree.
"""

from __future__ import annotations

from typing import Final

__all__ = ["MIGRATIONS", "SCHEMA_VERSION"]

# Each migration is a tuple of statements, run in order inside one transaction
# (no ``executescript``: it would commit behind our back). Never edit an entry
# once released; append a new one.
MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    (
        """
        CREATE TABLE jobs (
            id             INTEGER PRIMARY KEY,
            request_id     TEXT UNIQUE,
            model          TEXT NOT NULL,
            prompt         TEXT NOT NULL,
            duration       INTEGER NOT NULL,
            resolution     TEXT NOT NULL,
            generate_audio INTEGER NOT NULL,
            image          TEXT,
            params_json    TEXT NOT NULL,
            status         TEXT NOT NULL,
            error          TEXT,
            submitted_at   TEXT,
            started_at     TEXT,
            completed_at   TEXT,
            queue_s        REAL,
            run_s          REAL,
            total_s        REAL,
            metrics_json   TEXT,
            cost           REAL,
            cost_estimate  REAL,
            output_url     TEXT,
            url_expires_at TEXT,
            status_url     TEXT,
            response_url   TEXT,
            video_path     TEXT,
            file_bytes     INTEGER,
            video_seconds  REAL,
            video_width    INTEGER,
            video_height   INTEGER,
            video_fps      REAL,
            has_audio      INTEGER,
            poster_path    TEXT,
            sweep_id       TEXT,
            tag            TEXT,
            rating         INTEGER,
            notes          TEXT,
            base_url       TEXT,
            updated_at     TEXT NOT NULL
        )
        """,
        "CREATE INDEX jobs_status ON jobs (status)",
        "CREATE INDEX jobs_eta ON jobs (model, duration, resolution, status, completed_at)",
        "CREATE INDEX jobs_sweep ON jobs (sweep_id)",
    ),
    # The re-run guard: a hash of model + exact body (a local image by its content), so
    # "is this request already in the store?" is one indexed query. Rows written before
    # it are filled in by Store._open (the hash needs Python, not SQL).
    (
        "ALTER TABLE jobs ADD COLUMN request_key TEXT",
        "CREATE INDEX jobs_request_key ON jobs (request_key)",
    ),
    # Where a row came from: NULL for a job submitted from this store, "history" for
    # one imported from the account's request history (run elsewhere).
    ("ALTER TABLE jobs ADD COLUMN origin TEXT",),
    # When a poll last saw the job running, in seconds after the submit: with total_s (when
    # a poll first saw it done) the interval its end is known to lie in. The service's own
    # total_time is not promised, so the poll schedule learns from these intervals.
    ("ALTER TABLE jobs ADD COLUMN seen_running_s REAL",),
    # -- votes (issue 19 item 3): the arena's blind A/B votes, a table of their own that
    # only _storage/votes.py reads and writes (its module docstring says what each column
    # holds). One revision when the store moves to Alembic.
    (
        """
        CREATE TABLE votes (
            id               INTEGER PRIMARY KEY,
            arena_id         TEXT NOT NULL,
            voter            TEXT NOT NULL,
            voted_at         TEXT NOT NULL,
            left_job         INTEGER NOT NULL,
            right_job        INTEGER NOT NULL,
            left_request_id  TEXT,
            right_request_id TEXT,
            outcome          TEXT NOT NULL
        )
        """,
        "CREATE INDEX votes_pair ON votes (left_job, right_job)",
    ),
)

SCHEMA_VERSION: Final = len(MIGRATIONS)
