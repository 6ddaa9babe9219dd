"""``ltx-notebook store copy SRC DST``: a personal store and its videos into a team's, or back.

The work is :mod:`ltx_notebook._storage.transfer`'s; here are the arguments,
where the videos are unless told (:func:`~ltx_notebook._storage.transfer.default_media`),
a one-line progress bar on a terminal's stderr, and every failure as one line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from .._storage.store import Store
    from .._storage.transfer import Media, Plan, Summary

__all__ = ["add_store"]

PROG = "ltx-notebook store copy"


def add_store(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "store",
        help="copy a job store and its videos into another",
        description="Work on job stores. See docs/team.md.",
    )
    commands = p.add_subparsers(dest="store_command", metavar="COMMAND")
    c = commands.add_parser(
        "copy",
        help="copy SRC's jobs and videos into DST (a personal store into a team's, or back)",
        description=(
            "Copy every job of SRC, with its video and poster, into DST: a personal store "
            "into a team's (PostgreSQL, videos in a bucket), or back. A job DST has (the same "
            "request id) is not copied again, so running it twice copies nothing the second "
            "time; ids in DST are DST's own. SRC and DST: a SQLite file's path or a database "
            "URL (postgresql+psycopg://user@host/db)."
        ),
    )
    c.add_argument("src", metavar="SRC", help="the store copied from")
    c.add_argument("dst", metavar="DST", help="the store copied into (made if new)")
    c.add_argument(
        "--media-from",
        metavar="DIR_OR_URL",
        default=None,
        help="where SRC's videos are (default: a SQLite file's own folder; for the store the "
        "settings name, or a database URL, LTX_NOTEBOOK_MEDIA_DIR)",
    )
    c.add_argument(
        "--media-to",
        metavar="DIR_OR_URL",
        default=None,
        help="where DST's videos go: a folder or an fsspec URL such as s3://bucket/prefix "
        "(default: as for --media-from)",
    )
    c.add_argument(
        "--owner",
        default=None,
        help="the owner of rows that name none (default: LTX_NOTEBOOK_USER, else the login)",
    )
    c.add_argument(
        "--dry-run", action="store_true", help="list what would be copied; change nothing"
    )
    c.set_defaults(func=_copy)
    p.set_defaults(func=lambda args: _help(p))


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _copy(args: argparse.Namespace) -> int:
    from .._core.errors import LtxError, redact

    try:
        return _run(args)
    except (LtxError, ValueError, OSError) as exc:
        print(f"{PROG}: {redact(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            f"\n{PROG}: interrupted; run it again to finish (nothing is copied twice)",
            file=sys.stderr,
        )
        return 130


def _run(args: argparse.Namespace) -> int:
    from .._core.config import Settings, check_user, media_location
    from .._core.errors import StoreError
    from .._core.store_url import shown_location, store_location
    from .._storage import transfer
    from .._storage.store import Store

    settings = Settings.from_env(read_key=False)
    src_at, dst_at = store_location(args.src), store_location(args.dst)
    if isinstance(src_at, Path) and not src_at.expanduser().is_file():
        raise StoreError(f"there is no store file at {src_at}: nothing to copy", path=str(src_at))
    owner = check_user(args.owner or settings.user, "--owner")

    def media(given: str | None, at: Path | str) -> Media:
        if given is None:
            return transfer.default_media(at, settings)
        return transfer.Media(media_location(given), dict(settings.storage_options))

    source_media, dest_media = media(args.media_from, src_at), media(args.media_to, dst_at)
    source = Store(src_at)
    new = args.dry_run and isinstance(dst_at, Path) and not dst_at.expanduser().exists()
    dest = None if new else Store(dst_at)
    if dest is not None and dest.identity == source.identity:
        raise StoreError("SRC and DST are the same store: nothing to copy", path=str(args.dst))
    plan = transfer.plan(source, dest)
    where = (
        f"{shown_location(source.path)} (videos: {source_media.where}) into "
        f"{shown_location(dst_at if dest is None else dest.path)} (videos: {dest_media.where})"
    )
    if args.dry_run:
        return _dry_run(plan, where)
    assert dest is not None
    summary = transfer.copy(
        plan,
        dest,
        source_media=source_media,
        dest_media=dest_media,
        owner=owner,
        progress=_Bar(sys.stderr),
        source=source,
    )
    return _report(summary, where, dest)


def _dry_run(plan: Plan, where: str) -> int:
    print(f"would copy {where}:")
    for step in plan.work:
        video = Path(str(step.row["video_path"])).name if step.row.get("video_path") else None
        if step.needs_row:
            print(f"  {step.label}" + (f", with its video {video}" if video else ""))
        else:
            assert step.have is not None
            print(f"  the video {video} of {step.label}, there as job {step.have.id} without it")
    rows = sum(1 for s in plan.work if s.needs_row)
    print(f"{rows} job(s) to copy, {plan.there} there already (nothing was changed)")
    return 0


def _report(summary: Summary, where: str, dest: Store) -> int:
    for problem in summary.problems:
        print(f"{PROG}: {problem}", file=sys.stderr)
    votes = f", {summary.votes} vote(s)" if summary.votes else ""
    print(
        f"copied {summary.rows} job(s) and {summary.files} file(s) (videos, posters){votes} "
        f"from {where}; {summary.there} job(s) were there already"
    )
    if summary.problems:
        print(
            f"{PROG}: {len(summary.problems)} file(s) not copied (above): run the same command "
            "again once they can be read; the jobs' rows are there",
            file=sys.stderr,
        )
        return 1
    return 0


class _Bar:
    """``[#####.....] 12/40 jobs`` redrawn in place, on a terminal only (a log gets the summary)."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.live or total == 0:
            return
        filled = self.WIDTH * done // total
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.stream.write(f"\r[{bar}] {done}/{total} jobs")
        if done == total:
            self.stream.write("\n")
        self.stream.flush()
