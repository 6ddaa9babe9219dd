"""One store's jobs and their videos copied into another: a personal store into a team's, or back.

What ``ltx-notebook store copy SRC DST`` runs. A job is known in any store by
its request id: a row whose request id the destination has is the same job and
is not copied again, so running the copy twice adds nothing the second time.
A row with no request id (never sent, or refused before it was) is known by
its request and the instant it was written (model, body, ``submitted_at``).

Every column is kept but three: the id, which is the destination's own; the
kernel and lease, which belonged to a kernel of the source; and a row without
an owner (written before owners were recorded) gets the one given. Each row's
video and poster go from the source's media to the destination's, named by the
destination's id (``ltx-0042-1a2b3c4d.mp4``) and written the way an upload is
(:class:`~.files.RemoteFiles`: streamed, verified by size and hash, never
half-written), for a local folder as for a bucket. The row is added first and
its files then: a video that cannot be had (deleted, unreachable) leaves the
row without one, reported, and the next run brings it if it can.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from .._core.errors import MediaError
from . import votes
from .files import RemoteFiles
from .media import media_path
from .records import JobRecord, to_iso
from .store import Store

if TYPE_CHECKING:
    from .._core.config import Settings

__all__ = ["Media", "Plan", "Step", "Summary", "copy", "default_media", "plan"]

# Request ids asked for in one query: under every database's limit of bound values.
CHUNK: Final = 500
# Not carried over as they are: the id (DST's own), the kernel and lease (a kernel of
# SRC's drove the job), the files' paths (written once the files are in DST's media).
_NOT_COPIED: Final = ("id", "kernel", "lease_until", "video_path", "poster_path")


@dataclass(frozen=True)
class Media:
    """Where a store's videos and posters are: a local folder or an fsspec URL."""

    location: Path | str
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return str(self.location) if isinstance(self.location, Path) else self.files().where

    def files(self) -> RemoteFiles:
        """The files here, written and read as uploads are (a local folder as ``file://``)."""
        if isinstance(self.location, Path):
            folder = self.location.expanduser().absolute()
            folder.mkdir(parents=True, exist_ok=True)
            return RemoteFiles(folder.as_uri(), self.options)
        return RemoteFiles(self.location, self.options)

    def recorded(self, name: str) -> str:
        """What a row records for the file *name* here: a local file's absolute path (as a
        download writes it), else the name, which every kernel's cache fetches by."""
        if isinstance(self.location, Path):
            return str((self.location.expanduser() / name).resolve())
        return name

    def fetch(self, recorded: str, folder: Path) -> Path:
        """A local file holding what a row of this media records at *recorded*.

        A local folder's file where the row says, else in the folder under its
        name (a folder moved since); a bucket's, fetched into *folder*, else the
        row's own file where this machine has it. ``MediaError`` when there is none.
        """
        name = Path(recorded).name
        if isinstance(self.location, Path):
            for path in (Path(recorded), self.location.expanduser() / name):
                if path.is_file():
                    return path
            raise MediaError(f"{name} is not at {recorded} nor in {self.location}")
        dest = folder / name
        dest.unlink(missing_ok=True)
        try:
            self.files().get(name, dest)
        except MediaError:
            # Not in the bucket: a video whose upload failed is still where its kernel
            # downloaded it, the only copy, when this is that machine.
            if Path(recorded).is_file():
                return Path(recorded)
            raise
        return dest


def default_media(location: Path | str, settings: Settings) -> Media:
    """Where the videos of the store at *location* are, unless told.

    The settings' ``media_dir`` for the store they name and for a database URL;
    for another SQLite file, its own folder (a personal store lives in its media
    folder: ``ltx_media/ltx-jobs.sqlite``).
    """
    options = dict(settings.storage_options)
    named = settings.store_path
    if isinstance(location, Path):
        mine = isinstance(named, Path) and _same_file(named, location)
        if not mine:
            return Media(location.expanduser().absolute().parent, options)
    return Media(settings.media_dir, options)


def _same_file(a: Path, b: Path) -> bool:
    return a.expanduser().resolve() == b.expanduser().resolve()


@dataclass(frozen=True)
class Step:
    """One source row: copied (*have* None), or already there as *have*."""

    row: Mapping[str, Any]
    have: JobRecord | None

    @property
    def label(self) -> str:
        rid = self.row.get("request_id")
        sent = f"request {rid}" if rid else "never sent"
        return f"job {self.row['id']} ({sent}, {self.row['status']})"

    @property
    def needs_row(self) -> bool:
        return self.have is None

    @property
    def needs_media(self) -> bool:
        """Whether a video is to come: a new row's, or one an earlier run could not bring."""
        return bool(self.row.get("video_path")) and (self.have is None or not self.have.video_path)


@dataclass(frozen=True)
class Plan:
    steps: Sequence[Step]

    @property
    def work(self) -> list[Step]:
        return [s for s in self.steps if s.needs_row or s.needs_media]

    @property
    def there(self) -> int:
        return sum(1 for s in self.steps if not s.needs_row)


@dataclass
class Summary:
    rows: int = 0  # rows added
    there: int = 0  # rows the destination had
    files: int = 0  # videos and posters copied
    votes: int = 0
    problems: list[str] = field(default_factory=list)


def plan(source: Store, dest: Store | None) -> Plan:
    """What copying *source* into *dest* (None: a store yet to be made) would do, oldest first."""
    rows = list(reversed(source.rows()))
    if dest is None:
        return Plan([Step(row, None) for row in rows])
    ids = [str(r["request_id"]) for r in rows if r.get("request_id")]
    known: dict[str, JobRecord] = {}
    for start in range(0, len(ids), CHUNK):
        for record in dest.find(request_id=ids[start : start + CHUNK]):
            known[str(record.request_id)] = record
    unsent = {_content(_raw(r)): r for r in dest.find(request_id=None)}
    steps = []
    for row in rows:
        rid = row.get("request_id")
        have = known.get(str(rid)) if rid else unsent.get(_content(row))
        steps.append(Step(row, have))
    return Plan(steps)


def _raw(record: JobRecord) -> dict[str, Any]:
    return {
        "submitted_at": record.submitted_at,
        "model": record.model,
        "params_json": record.params_json,
    }


def _content(row: Mapping[str, Any]) -> tuple[str | None, str, str]:
    """A row never sent, known by its request and when it was written."""
    at = row.get("submitted_at")
    return (to_iso(at) if at is not None else None, str(row["model"]), str(row["params_json"]))


def copy(
    the_plan: Plan,
    dest: Store,
    *,
    source_media: Media,
    dest_media: Media,
    owner: str,
    progress: Callable[[int, int], None] = lambda done, total: None,
    source: Store | None = None,
) -> Summary:
    """Carry out *the_plan* into *dest*; with *source*, its votes between copied jobs too."""
    summary = Summary(there=the_plan.there)
    work = the_plan.work
    ids: dict[int, int] = {
        int(s.row["id"]): s.have.id for s in the_plan.steps if s.have is not None
    }
    progress(0, len(work))
    with _scratch() as folder:
        files = dest_media.files() if any(s.needs_media for s in work) else None
        for done, step in enumerate(work, 1):
            target = step.have
            if target is None:
                target = dest.add_copy(_fields(step.row, owner))
                if target is None:  # another copy added it meanwhile
                    progress(done, len(work))
                    continue
                summary.rows += 1
            ids[int(step.row["id"])] = target.id
            if step.needs_media and files is not None:
                _bring(step, target, dest, source_media, dest_media, files, folder, summary)
            progress(done, len(work))
    if source is not None:
        summary.votes = votes.copy_in(dest, votes.read(source), ids)
    return summary


def _fields(row: Mapping[str, Any], owner: str) -> dict[str, Any]:
    values = {n: v for n, v in row.items() if n not in _NOT_COPIED}
    values["owner"] = row.get("owner") or owner
    return values


def _bring(
    step: Step,
    target: JobRecord,
    dest: Store,
    source_media: Media,
    dest_media: Media,
    files: RemoteFiles,
    folder: Path,
    summary: Summary,
) -> None:
    """The row's video and poster, into the destination's media under its new id's name."""
    name = media_path("", target.id, target.request_id).name
    changes: dict[str, str] = {}
    for column, new_name in (("video_path", name), ("poster_path", name[:-4] + ".jpg")):
        recorded = step.row.get(column)
        if not recorded:
            continue
        try:
            local = source_media.fetch(str(recorded), folder)
            try:
                files.put(local, new_name)
            finally:
                if local.parent == folder:  # fetched from a bucket: not kept past its copy
                    local.unlink(missing_ok=True)
        except (MediaError, OSError) as exc:
            what = "video" if column == "video_path" else "poster"
            summary.problems.append(
                f"{step.label}: its {what} is not copied ({exc}); the row is there as job "
                f"{target.id}, without it"
            )
            if column == "video_path":
                return  # a poster alone shows nothing that plays
            continue
        changes[column] = dest_media.recorded(new_name)
        summary.files += 1
    if changes:
        dest.update(target.id, **changes)


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    """A folder for the files fetched from a bucket on their way to the destination."""
    with tempfile.TemporaryDirectory(prefix="ltx-copy-") as folder:
        yield Path(folder)
