"""``%ltx status``, ``history``, ``show`` and ``resume``: looking after jobs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument

from .._core.errors import InvalidParams, LtxError
from .._core.params import Params, validate
from .._core.request_key import request_key
from .._core.status import JobStatus
from .._jobs.job import Job
from .._view.job_progress import job_line
from .commands import Host, command

__all__ = ["show_again"]

SHOW_USAGE = "%ltx show ID [--again]"


@command(
    "%ltx status [ID]",
    "the state of one job (local id or request id), or of the",
    "unfinished ones",
)
@argument("key", nargs="?", metavar="ID")
def status(host: Host, key: str | None) -> None:
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


@command(
    "%ltx history [--mine]",
    "every job, as a DataFrame (the cell's value), shown as a",
    "compact table: poster, status, the params that differ, cost;",
    "--mine: only your own (LTX_NOTEBOOK_USER) in a team's store",
)
@argument("--mine", action="store_true")
def history(host: Host, mine: bool) -> Any:
    from .._view.history import ME, history_view

    user = host.session.settings.user
    whose: dict[str, Any] = {"owner": ME} if mine else {}
    return history_view(host.session.store, user=user, **whose)


@command(
    SHOW_USAGE,
    "display a past job's video again (fetched again if the",
    "file is gone and the service still keeps it); --again",
    "sends that job's exact request as a new job",
)
@argument("key", metavar="ID")
@argument("--again", action="store_true")
def show(host: Host, key: str, again: bool) -> None:
    job = host.job(key)
    if again:
        sent = host.session.submit(_same_request(job), tag=job.record.tag)
        print(f"sent again as job {sent.id} (request {sent.request_id}): job {job.id}'s request")
        host.present(sent, wait=None, timeout=None, embed=None)
        return
    show_again(host, job)


def _same_request(job: Job) -> Params:
    """Job *job*'s request, validated again, or a UsageError if it cannot be sent unchanged."""
    record = job.record
    given = {k: v for k, v in record.params.as_dict().items() if k != "model"}
    try:
        params = validate(record.model, **given)
    except InvalidParams as exc:
        raise UsageError(f"cannot send job {job.id} again: {exc}") from None
    then = record.request_key or request_key(record.model, record.payload)
    if params.payload() != record.payload or request_key(params.model, params.payload()) != then:
        why = "its parameters no longer validate to the same request"
        if params.image_is_local:
            why = f"its image {params.image} has changed or is gone since"
        raise UsageError(f"cannot send job {job.id}'s exact request again: {why}")
    return params


def show_again(host: Host, job: Job, final_html: Callable[[Job], str] | None = None) -> None:
    """Display a finished job's video, fetched again if the file is gone and still served."""
    missing = host.session.local_video(job) is None  # a teammate's clip comes from the bucket
    if job.status is JobStatus.COMPLETED and missing and job.output_url:
        try:
            job = host.session.refetch(job)
            print(f"the local copy is gone: fetching job {job.request_id} again")
            job.wait(host.timeout)
        except (LtxError, KeyboardInterrupt) as exc:
            print(f"stopped fetching it again: {exc or type(exc).__name__}")
        else:
            if host.session.local_video(job) is None:
                # The failure is recorded on the job; the placeholder below says it too.
                print(f"could not fetch it again: {job.error or 'no file'}")
    host.show_final(job, final_html)


@command(
    "%ltx resume",
    "follow jobs left unfinished by a kernel restart; waits",
    "where %%ltx would wait (headless, terminal)",
)
def resume(host: Host) -> None:
    found = host.session.resume()
    # Submits a crash cut short come back settled (UNKNOWN, or FAILED if the request
    # history shows the service never made them): say so, with how to check.
    settled = [job for job in found if job.request_id is None]
    for job in settled:
        print(f"job {job.id}: {job.status.value}: {job.error}")
    jobs = [job for job in found if job not in settled]
    if not jobs:
        # The jobs another kernel drives were named (one line per kernel) by the resume.
        others = host.session.driven_elsewhere()
        print(
            "nothing to resume here: the other unfinished jobs are driven by another kernel"
            if others
            else "nothing to resume: every recorded job has finished"
        )
        return
    print(f"resuming {len(jobs)} job(s): " + ", ".join(j.request_id or str(j.id) for j in jobs))
    for job in jobs:
        host.present(job, wait=None, timeout=None, embed=None)
