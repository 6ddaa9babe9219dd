"""Memory of one finished 4k job: download, verify, probe, poster, as a session runs them.

Measured as the process's resident set (RSS), not with tracemalloc, which
sees only Python's allocations and misses FFmpeg's frame buffers. Each run is
a fresh interpreter that imports everything and starts the runtime thread
first; then ``VmHWM`` (the RSS high-water mark, reset through
``/proc/self/clear_refs``) gives the peak growth, and RSS after the job the
memory held. Two states are measured: **warm** (one small video went through
the same steps before, as in a notebook that has shown a video already) and
**cold** (the first video of the process). How LTX-2's own files are encoded is
not known, so the clip is rendered with several GOP structures (see
:data:`CLIPS`): no B-frames or libx264's usual B-frames, with one keyframe (its
default interval, 250 frames, is longer than the clip) or a keyframe every 5 s
or every second. A poster's moment past its keyframe's slack is decoded
forward to, which with B-frames holds several pictures: past 1080p that
decode runs in a child process (``media.poster``), whose memory is not the
kernel's.

The reference is the same job with the media steps as they were before
(first frame and poster converted to RGB at full size, then resized with
PIL), run the same way, side by side. Each is run several times and
reported as the median and the worst run: where glibc puts a freed block
(in a bin, which ``malloc_trim`` releases, or at the top of a thread's arena,
which it does not) varies from run to run.

    python -m benchmarks.bench_memory --resolution 4k --duration 10
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from ltx_notebook._core.config import Secret, Settings
from ltx_notebook._core.params import validate
from ltx_notebook._jobs.download import video_fields
from ltx_notebook._jobs.poll.runtime import Runtime
from ltx_notebook._service.client import Client
from ltx_notebook._storage import media, parts
from ltx_notebook.emulator import Emulator, EmulatorConfig

KEY = "bench-key-0123456789"
PROMPT = "surf rolling onto a black sand beach"
# RSS growth under this, in MB, is noise (page cache of the interpreter, allocator slack).
HELD_NOISE_MB = 2.0
FPS = 24  # the emulator's LTX-2 clips
# The GOP structures measured, by name: (libx264 preset, frames between keyframes or None
# for libx264's default of 250). ultrafast encodes no B-frames; veryfast, 3 (b-pyramid).
CLIPS: dict[str, tuple[str, int | None]] = {
    "no B-frames, one keyframe": ("ultrafast", None),
    "B-frames, one keyframe": ("veryfast", None),
    "B-frames, keyframe every 5 s": ("veryfast", 5 * FPS),
    "B-frames, keyframe every 1 s": ("veryfast", FPS),
}
# The measured states: each clip, warm and cold.
STATES = tuple(f"{clip}|{state}" for clip in CLIPS for state in ("warm", "cold"))


def _status_mb(field: str) -> float:
    text = Path("/proc/self/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    assert match, field
    return int(match.group(1)) / 1024


async def _job(client: Client, url: str, dest: Path, *, reference: bool = False) -> None:
    """What the session does with a completed job's video (*reference*: as it did before)."""
    if reference:
        async with client.stream(url) as (size, _type, chunks):
            await parts.save_stream(chunks, dest, expected_size=size)
        await asyncio.to_thread(media.probe, dest)
        await asyncio.to_thread(media.poster, dest)
        return
    part = parts.part_path(dest)
    async with client.stream(url) as (size, _type, chunks):
        await parts.append_stream(chunks, part, offset=0, total=size)
    info = await parts.commit_part(part, dest, expected_size=size, poster=dest.with_suffix(".jpg"))
    video_fields(dest, info, dest.with_suffix(".jpg"))


def child(args: argparse.Namespace) -> dict[str, float]:
    """One measurement in this (fresh) process; prints it as JSON."""
    reference = args.variant == "reference"
    if reference:
        parts.verify = _reference_verify  # type: ignore[assignment]
        media.poster = _reference_poster  # type: ignore[assignment]
    import av  # noqa: F401  # loaded before the baseline: library code is not the job's
    import PIL.Image  # noqa: F401

    folder = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    runtime = Runtime()
    settings = Settings(api_key=Secret(KEY), base_url=args.base_url)

    async def open_client() -> Client:
        return Client(settings)

    client = runtime.call(open_client())
    try:
        if args.warm:
            runtime.call(_job(client, args.small_url, folder / "small.mp4", reference=reference))
        gc.collect()
        base = _status_mb("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
        runtime.call(_job(client, args.url, folder / "big.mp4", reference=reference))
        peak = _status_mb("VmHWM")
        gc.collect()
        held = _status_mb("VmRSS")
    finally:
        runtime.call(client.aclose())
        runtime.stop()
        shutil.rmtree(folder, ignore_errors=True)
    result = {"peak_mb": peak - base, "held_mb": held - base, "base_mb": base}
    print(json.dumps(result))
    return result


def _measure(variant: str, warm: bool, url: str, small_url: str, base_url: str) -> dict[str, float]:
    command = [sys.executable, "-m", "benchmarks.bench_memory", "--child", variant]
    command += ["--url", url, "--small-url", small_url, "--base-url", base_url]
    if warm:
        command.append("--warm")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


async def _render(emu: Emulator, resolution: str, duration: int) -> tuple[str, str]:
    settings = Settings(api_key=Secret(KEY), base_url=emu.base_url)
    async with Client(settings) as client:
        urls = []
        shapes = [(resolution, duration), ("1080p", 6)]
        for res, dur in shapes:
            sub = await client.submit(validate(prompt=PROMPT, resolution=res, duration=dur))
            while (await client.status(sub.request_id)).status != "COMPLETED":
                await asyncio.sleep(0.5)
            url = (await client.result(sub.request_id)).output_url
            assert url
            urls.append(url)
    return urls[0], urls[-1]


def run(resolution: str, duration: int, repeat: int, clips: int = len(CLIPS)) -> dict[str, Any]:
    """Each of the first *clips* GOP structures of :data:`CLIPS`, warm and cold, ours and before."""
    if not Path("/proc/self/clear_refs").exists():
        raise SystemExit("bench_memory reads /proc (Linux only)")
    results: dict[str, Any] = {"resolution": resolution, "duration": duration, "repeat": repeat}
    with tempfile.TemporaryDirectory(prefix="bench-memory-emu-") as data:
        # Fast jobs, but records that outlive a full-size render on a busy machine.
        config = EmulatorConfig(
            speed=200, expire_after=900, api_key=KEY, seed=5, data_dir=Path(data)
        )
        for name, (preset, keyint) in list(CLIPS.items())[:clips]:
            clip = dataclasses.replace(
                config, preset=preset, keyint=keyint, data_dir=Path(data) / preset / str(keyint)
            )
            with Emulator(clip) as emu:
                url, small_url = asyncio.run(_render(emu, resolution, duration))
                size = emu.engine.jobs[url.rsplit("/", 1)[-1][:-4]].file_size or 0
                results.setdefault("file_mb", {})[name] = int(size) / 1e6
                for variant in ("ours", "reference"):
                    for state in ("warm", "cold"):
                        runs = [
                            _measure(variant, state == "warm", url, small_url, emu.base_url)
                            for _ in range(repeat)
                        ]
                        results[f"{variant}_{name}|{state}"] = _summary(runs)
    return results


def _summary(runs: list[dict[str, float]]) -> dict[str, Any]:
    """Median and worst of the runs: glibc's arenas make a run's figure vary (see the docs)."""
    peaks = sorted(r["peak_mb"] for r in runs)
    held = sorted(r["held_mb"] for r in runs)
    return {
        "peak_mb": statistics.median(peaks),
        "peak_max_mb": peaks[-1],
        "held_mb": statistics.median(held),
        "held_max_mb": held[-1],
        "held_runs": sum(h > HELD_NOISE_MB for h in held),
        "runs": len(runs),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", default="4k")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement")
    parser.add_argument(
        "--clips", type=int, default=len(CLIPS), help="how many of the GOP structures to measure"
    )
    parser.add_argument("--child", choices=("ours", "reference"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--small-url", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--warm", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        args.variant = args.child
        return child(args)
    r = run(args.resolution, args.duration, args.repeat, args.clips)
    print(
        f"memory of one finished {args.resolution} {args.duration}s job: "
        f"RSS growth, peak / held after (median of {args.repeat})"
    )
    for state in STATES:
        if f"ours_{state}" not in r:
            continue  # a GOP structure left out (--clips)
        ours, ref = r[f"ours_{state}"], r[f"reference_{state}"]
        print(
            f"  {state.replace('|', ', ')}: "
            f"ours +{ours['peak_mb']:.0f} (worst {ours['peak_max_mb']:.0f}) MB / "
            f"+{ours['held_mb']:.0f} (worst {ours['held_max_mb']:.0f}) MB   "
            f"before +{ref['peak_mb']:.0f} / +{ref['held_mb']:.0f} MB   "
            f"peak ratio {ours['peak_mb'] / ref['peak_mb']:.2f}   "
            f"runs holding memory: {ours['held_runs']} of {ours['runs']}"
        )
    return r


# -- the reference: the media steps as they were before this benchmark's change --


def _reference_verify(path: Path, name: str) -> None:
    import av

    media.probe(path)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for _frame in container.decode(stream):
            return


def _reference_poster(path: str | os.PathLike[str], dest: Any = None, **_: Any) -> Path:
    import av
    from PIL import Image

    path = Path(path)
    out = Path(dest) if dest is not None else path.with_suffix(".jpg")
    info = media.probe(path)
    target = info.seconds * 0.5
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        container.seek(int(target / stream.time_base), stream=stream, backward=True)
        chosen = None
        for frame in container.decode(stream):
            chosen = frame
            if frame.time is None or frame.time >= target - 0.5 / info.fps:
                break
        assert chosen is not None
        image = chosen.to_image()
    if image.width > media.POSTER_MAX_WIDTH:
        height = round(image.height * media.POSTER_MAX_WIDTH / image.width)
        image = image.resize((media.POSTER_MAX_WIDTH, height), Image.Resampling.LANCZOS)
    image.convert("RGB").save(out, format="JPEG", quality=media.POSTER_QUALITY, optimize=True)
    return out


if __name__ == "__main__":
    main()
