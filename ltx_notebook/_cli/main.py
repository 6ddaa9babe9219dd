"""The ``ltx-notebook`` command: one small function per subcommand.

Heavy imports happen inside each subcommand, so ``ltx-notebook --help`` and
the subcommands that do not need them stay fast and dependency-light.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from .store import add_store

__all__ = ["main"]

Command = Callable[[argparse.Namespace], int]


def _probability(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be within [0, 1]")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return value


def _add_emulator(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "emulator",
        help="serve an emulator of Segmind's ltx-2-pro API",
        description=(
            "Serve an emulator of Segmind's serverless API (ltx-2-pro, ltx-2-fast). "
            "Prints its base URL as the first line of stdout, then serves until "
            "SIGINT or SIGTERM. See docs/emulator.md."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to bind")
    p.add_argument("--port", type=int, default=8000, help="port to bind; 0 picks a free one")
    p.add_argument(
        "--speed", type=_positive, default=1.0, help="divide every emulated time by this"
    )
    p.add_argument(
        "--api-key", default=None, help="accept only this key (default: any non-empty key)"
    )
    p.add_argument("--credits", type=float, default=100.0, help="starting credit balance ($)")
    p.add_argument("--max-concurrent", type=int, default=None, help="429 beyond N unfinished jobs")
    p.add_argument(
        "--rate-limit", type=int, default=None, help="429 beyond N submits per minute/speed"
    )
    p.add_argument(
        "--fail-rate",
        type=_probability,
        default=0.0,
        help="chance of a transient 5xx per API request",
    )
    p.add_argument(
        "--expire-after",
        type=_positive,
        default=None,
        help="record lifetime in seconds (default 3600/speed)",
    )
    p.add_argument(
        "--output-ttl",
        type=_positive,
        default=None,
        help="media lifetime in seconds (default: until stopped)",
    )
    p.add_argument(
        "--render-scale",
        type=float,
        default=1.0,
        help="shrink rendered frames by this factor (0, 1]",
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="render cache, uploads (default: a temp dir, removed at exit)",
    )
    p.add_argument(
        "--output-shape",
        choices=("string", "list", "object", "mixed"),
        default="string",
        help="shape of 'output' in results",
    )
    p.add_argument(
        "--submit-status",
        type=int,
        choices=(200, 201, 202),
        default=200,
        help="HTTP status of an accepted submit",
    )
    p.add_argument(
        "--no-video-object", action="store_true", help="omit the 'video' object from results"
    )
    p.add_argument(
        "--upload-key",
        choices=("file_urls", "urls"),
        default="file_urls",
        help="key of the URL list in upload replies",
    )
    p.add_argument(
        "--rate-limit-reset-header",
        action="store_true",
        help="send x-rate-limit-reset-at-utc on 429",
    )
    p.add_argument(
        "--retry-after-header",
        action="store_true",
        help="send Retry-After on 429 (the real service reportedly does not)",
    )
    p.add_argument(
        "--seed", type=int, default=None, help="seed timing noise, request ids and --fail-rate"
    )
    p.add_argument("--preset", default="veryfast", help="libx264 preset for renders")
    p.add_argument(
        "--fps", type=int, choices=(24, 25, 30), default=24, help="frame rate of renders"
    )
    p.add_argument("--render-workers", type=int, default=2, help="render threads")
    p.add_argument(
        "--history-envelope",
        choices=("data", "nested", "list"),
        default="data",
        help="shape of request-history pages (/inference-request/...)",
    )
    p.add_argument(
        "--job-seconds",
        type=_positive,
        default=None,
        help="every run's total time, instead of the model's typical time",
    )
    p.add_argument(
        "--job-spread",
        type=float,
        default=0.0,
        help="with --job-seconds, a uniform spread of ± this fraction",
    )
    p.add_argument(
        "--slow-share",
        type=_probability,
        default=0.0,
        help="chance a run takes --slow-factor times as long",
    )
    p.add_argument(
        "--slow-factor", type=float, default=3.0, help="how much longer a slow run takes"
    )
    p.add_argument(
        "--metrics",
        choices=("full", "inference"),
        default="full",
        help="what a job's metrics hold: full, or only inference_time (all that is certain)",
    )
    p.set_defaults(func=_emulator)


def _emulator(args: argparse.Namespace) -> int:
    from ..emulator import Emulator, EmulatorConfig

    try:
        config = EmulatorConfig(
            host=args.host,
            port=args.port,
            speed=args.speed,
            api_key=args.api_key,
            credits=args.credits,
            max_concurrent=args.max_concurrent,
            rate_limit=args.rate_limit,
            fail_rate=args.fail_rate,
            expire_after=args.expire_after,
            output_ttl=args.output_ttl,
            render_scale=args.render_scale,
            output_shape=args.output_shape,
            submit_status=args.submit_status,
            include_video=not args.no_video_object,
            upload_key=args.upload_key,
            rate_limit_reset_header=args.rate_limit_reset_header,
            retry_after_header=args.retry_after_header,
            seed=args.seed,
            data_dir=args.data_dir,
            preset=args.preset,
            fps=args.fps,
            render_workers=max(1, args.render_workers),
            history_envelope=args.history_envelope,
            job_seconds=args.job_seconds,
            job_spread=args.job_spread,
            slow_share=args.slow_share,
            slow_factor=args.slow_factor,
            metrics=args.metrics,
        )
    except ValueError as exc:
        print(f"ltx-notebook emulator: {exc}", file=sys.stderr)
        return 2

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    emulator = Emulator(config)
    try:
        emulator.start()
    except OSError as exc:
        print(f"ltx-notebook emulator: cannot bind {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    try:
        # The first line of stdout is the contract: scripts read the URL from it.
        print(emulator.base_url, flush=True)
        key = "the configured key only" if args.api_key else "any non-empty key"
        print(
            f"ltx-notebook emulator: speed x{config.speed:g}, credits {config.credits:g}, "
            f"accepting {key}; Ctrl-C to stop",
            file=sys.stderr,
            flush=True,
        )
        # A timed wait keeps the main thread responsive to signals.
        while not stop.wait(0.5):
            if not emulator.running:
                return 1
    finally:
        emulator.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _add_demo(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "demo",
        help="run the quickstart notebook headless against a local emulator",
        description="Start an emulator, execute the quickstart notebook (shipped with the "
        "package) against it with nbclient, and write the executed notebook, an HTML export "
        "and the videos to --out, in the current folder by default.",
    )
    p.add_argument(
        "--notebook",
        type=Path,
        default=None,
        help="a notebook to run instead of the packaged quickstart",
    )
    p.add_argument("--out", type=Path, default=Path("build"), help="output folder (build/ here)")
    p.add_argument("--speed", type=_positive, default=10.0, help="emulator speed (10)")
    p.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    from . import needs

    refusal = needs.refusal("demo", needs.DEMO)
    if refusal:
        print(refusal, file=sys.stderr)
        return 2
    if args.notebook is not None and not args.notebook.is_file():
        print(f"ltx-notebook demo: no notebook at {args.notebook}", file=sys.stderr)
        return 2
    from .demo import run_demo

    return run_demo(args.notebook, args.out, speed=args.speed)


def _add_lab(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "lab",
        help="open JupyterLab wired to a local emulator",
        description="Start an emulator and JupyterLab with SEGMIND_BASE_URL and "
        "SEGMIND_API_KEY pointing at it, so %%%%ltx works with no real key.",
    )
    p.add_argument("--speed", type=_positive, default=5.0, help="emulator speed (5)")
    p.add_argument("--dir", type=Path, default=Path("notebooks"), help="JupyterLab root")
    # Any other argument (--port 8899, --no-browser, ...) is passed on to jupyter lab.
    p.set_defaults(func=_lab, passes_unknown=True)


def _lab(args: argparse.Namespace) -> int:
    import os
    import subprocess

    from . import needs

    # Checked before the emulator starts: without JupyterLab it would serve for nothing.
    refusal = needs.refusal("lab", needs.LAB)
    if refusal:
        print(refusal, file=sys.stderr)
        return 1

    from ..emulator import Emulator, EmulatorConfig

    key = "lab-emulator-key"
    with Emulator(EmulatorConfig(speed=args.speed, api_key=key)) as emulator:
        env = {**os.environ, "SEGMIND_BASE_URL": emulator.base_url, "SEGMIND_API_KEY": key}
        print(f"emulator: {emulator.base_url} (speed {args.speed:g})", flush=True)
        command = [sys.executable, "-m", "jupyterlab", *args.unknown]
        try:
            return subprocess.call(command, cwd=args.dir, env=env)
        except KeyboardInterrupt:
            return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ltx-notebook", description="LTX-2 video generation in Jupyter, and its tools."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_emulator(subparsers)
    _add_demo(subparsers)
    _add_lab(subparsers)
    add_store(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and not getattr(args, "passes_unknown", False):
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    args.unknown = unknown
    func: Command | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    return func(args)


if __name__ == "__main__":
    sys.exit(main())
