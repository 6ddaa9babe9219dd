"""``%ltx reconcile`` and ``%ltx adopt``: jobs found again in the account's request history."""

from __future__ import annotations

from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument

from .commands import Host, command

__all__: list[str] = []


@command(
    "%ltx reconcile",
    "look up every UNKNOWN, EXPIRED and LOST job in your request",
    "history (videos found are downloaded), fill in every job's",
    "real charge, and print what changed",
)
def reconcile(host: Host) -> None:
    print(host.session.reconcile())


@command(
    "%ltx adopt ROW REQUEST_ID",
    "a lost submit (UNKNOWN job ROW) that several requests of",
    "your history match: take REQUEST_ID as its job and follow it",
)
@argument("row", metavar="ROW")
@argument("request_id", metavar="REQUEST_ID")
def adopt(host: Host, row: str, request_id: str) -> None:
    try:
        job_id = int(row)
    except ValueError:
        raise UsageError(f"ROW must be a job's local id (a whole number), not {row!r}") from None
    job = host.session.adopt(job_id, request_id)
    print(f"job {job.id} is request {job.request_id}: {job.status.value}")
    host.present(job, wait=None, timeout=None, embed=None)
