"""``%ltx status``, ``history``, ``show`` and ``resume``: looking after jobs."""

from __future__ import annotations

from typing import Any

from .._core.errors import LtxError
from .._core.status import JobStatus
from .._view.job_progress import job_line
from .commands import Host, command

__all__: list[str] = []


@command(
    "%ltx status [ID]",
    "the state of one job (local id or request id), or of the",
    "unfinished ones",
)
def status(host: Host, key: str | None = None) -> None:
    if key is not None:
        job = host.job(key)
        line = job_line(job)
        if job.video_path:
            line += f" · {job.video_path}"
        print(line)
        return
    records = host.session.store.unfinished()
    if not records:
        print("no unfinished jobs")
    for record in records:
        print(job_line(host.session.get(record.id)))


@command("%ltx history", "every job, as a DataFrame (the cell's value)")
def history(host: Host) -> Any:
    from .._storage.tables import history_frame

    return history_frame(host.session.store)


@command(
    "%ltx show ID",
    "display a past job's video again (fetched again if the",
    "file is gone and the service still keeps it)",
)
def show(host: Host, key: str) -> None:
    job = host.job(key)
    missing = not (job.video_path and job.video_path.is_file())
    if job.status is JobStatus.COMPLETED and missing and job.output_url:
        try:
            job = host.session.refetch(job)
            print(f"the local copy is gone: fetching job {job.request_id} again")
            job.wait(host.timeout)
        except (LtxError, KeyboardInterrupt) as exc:
            print(f"stopped fetching it again: {exc or type(exc).__name__}")
        else:
            if not (job.video_path and job.video_path.is_file()):
                # The failure is recorded on the job; the placeholder below says it too.
                print(f"could not fetch it again: {job.error or 'no file'}")
    host.show_final(job)


@command(
    "%ltx resume",
    "follow jobs left unfinished by a kernel restart; waits",
    "where %%ltx would wait (headless, terminal)",
)
def resume(host: Host) -> None:
    found = host.session.resume()
    # Submits a crash cut short come back settled (UNKNOWN): say so, with how to check.
    settled = [job for job in found if job.status is JobStatus.UNKNOWN]
    for job in settled:
        print(f"job {job.id}: {job.status.value}: {job.error}")
    jobs = [job for job in found if job not in settled]
    if not jobs:
        print("nothing to resume: every recorded job has finished")
        return
    print(f"resuming {len(jobs)} job(s): " + ", ".join(j.request_id or str(j.id) for j in jobs))
    for job in jobs:
        host.present(job, wait=None, timeout=None, embed=None)
