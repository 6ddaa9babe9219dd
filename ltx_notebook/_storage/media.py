"""The local copy of every video: download once, verify, probe, poster frame.

Result URLs die (request records after an hour, files some days later), so
each video is saved as soon as its job completes and the notebook shows the
local copy. A download is written to ``<name>.<random>.part``, checked (byte count,
then readable as a video) and only then renamed into place, so a file with the
final name is always a whole, playable video.

The bytes on their way to disk (part files, claims, resuming) are
:mod:`.parts`; this module checks, probes and draws what arrived. Every decode
runs on one thread, one at a time (see :func:`on_decoder_thread`).
"""

from __future__ import annotations

import base64
import concurrent.futures
import contextlib
import ctypes
import functools
import itertools
import mimetypes
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

from .._core.errors import MediaError
from .._core.threads import background

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "VideoInfo",
    "data_uri",
    "draw_poster_file",
    "give_back",
    "media_path",
    "on_decoder_thread",
    "poster",
    "probe",
    "verify",
    "verify_with_poster",
]

T = TypeVar("T")

POSTER_MAX_WIDTH: Final = 640
POSTER_QUALITY: Final = 82
# A keyframe this close before the poster's moment stands for it (at most this
# many seconds, and a tenth of the clip): decoded alone it costs one picture,
# against two for decoding forward to the moment.
KEYFRAME_SLACK: Final = 1.0
# A frame larger than 1080p's is drawn in a child process (see _draw_in_child): at
# 1080p a forward decode with B-frames peaks near 25 MB, at 4k near 90 MB.
IN_PROCESS_PIXELS: Final = 1920 * 1088
CHILD_TIMEOUT_S: Final = 120.0


@dataclass(frozen=True)
class VideoInfo:
    """What a video file holds. ``codec`` is the video codec's FFmpeg name (``h264``)."""

    seconds: float
    width: int
    height: int
    fps: float
    has_audio: bool
    file_bytes: int
    codec: str


def media_path(media_dir: str | os.PathLike[str], job_id: int, request_id: str | None) -> Path:
    """Where job *job_id*'s video lives: ``<media_dir>/ltx-0042-1a2b3c4d.mp4``.

    The local id makes it unique within a store and sorts files in submit
    order; the request id's head tells apart two stores sharing one folder and
    lets the name be matched against the Segmind console.
    """
    name = f"ltx-{job_id:04d}"
    head = re.sub(r"[^A-Za-z0-9]", "", request_id or "")[:8]
    if head:
        name += f"-{head}"
    return Path(media_dir) / f"{name}.mp4"


def verify(path: Path, name: str) -> VideoInfo:
    """Probe *path* and decode its first video frame (headers alone can lie); its headers."""
    info: VideoInfo = on_decoder_thread(_decode_first, path, name)
    give_back()  # the decoder is freed with the container, after _probe's own trim
    return info


def _decode_first(path: Path, name: str) -> VideoInfo:
    # The headers and the first frame from one opening: each open of the file runs
    # FFmpeg's stream probe, a job's largest fixed CPU cost after the poster.
    return _probe(path, then=functools.partial(_first_frame, name=name))


def verify_with_poster(path: Path, dest: Path) -> VideoInfo:
    """:func:`verify` and :func:`poster` (its defaults, saved to *dest*); the headers.

    The poster's frame is the proof that the video decodes, so no first frame
    is decoded apart: two openings (headers, then the frame) instead of three.
    Not one: decoding in the probe's own opening keeps what FFmpeg's stream
    probe decoded alive meanwhile, which put a 4k clip's peak 3 MB higher
    (41 MB) than decoding in an opening of its own.
    """
    info = probe(path)
    poster(path, dest, info=info)
    return info


def _first_frame(container: Any, info: VideoInfo, *, name: str) -> None:
    try:
        # Decoded is proof enough; the frame (12 MB at 4k) is dropped on return.
        for _frame in container.decode(container.streams.video[0]):
            break
        else:
            raise MediaError(f"{name} has a video stream with no decodable frame")
    except MediaError:
        raise
    except Exception as exc:
        raise MediaError(f"{name} is not a readable video: {exc}") from None


def probe(path: str | os.PathLike[str]) -> VideoInfo:
    """Read *path*'s container headers. :class:`MediaError` if it is not a video."""
    info: VideoInfo = on_decoder_thread(_probe, path)
    return info


def _probe(
    path: str | os.PathLike[str], then: Callable[[Any, VideoInfo], None] | None = None
) -> VideoInfo:
    """The headers of *path*; *then* is given the open container and them next.

    *then*'s :class:`MediaError` is its own; any other failure is reported as
    the file not being a readable video.
    """
    import av  # PyAV (and FFmpeg) load when a video is first read, not at import

    path = Path(path)
    try:
        size = path.stat().st_size
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise MediaError(f"{path.name} has no video stream")
            stream = container.streams.video[0]
            ctx = stream.codec_context
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            fps = float(rate) if rate else 0.0
            if stream.duration is not None and stream.time_base is not None:
                seconds = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                seconds = container.duration / av.time_base
            elif stream.frames and fps:
                seconds = stream.frames / fps
            else:
                seconds = 0.0
            info = VideoInfo(
                seconds=round(seconds, 3),
                width=int(ctx.width),
                height=int(ctx.height),
                fps=round(fps, 3),
                has_audio=bool(container.streams.audio),
                file_bytes=size,
                codec=str(ctx.name),
            )
            if then is not None:
                then(container, info)
            return info
    except MediaError:
        raise
    except FileNotFoundError:
        raise MediaError(f"video file not found: {path}") from None
    except Exception as exc:  # PyAV raises a zoo of FFmpeg errors for a bad file
        raise MediaError(f"{path.name} is not a readable video: {exc}") from None
    finally:
        # Opening decodes a frame to learn the stream's format (find_stream_info).
        give_back()


def poster(
    path: str | os.PathLike[str],
    dest: str | os.PathLike[str] | None = None,
    *,
    at: float = 0.5,
    max_width: int = POSTER_MAX_WIDTH,
    info: VideoInfo | None = None,
) -> Path:
    """Save one frame of *path* as a JPEG (default ``<video name>.jpg`` beside it).

    *at* is a **fraction of the duration** (0 = first frame, 0.5 = middle,
    clamped to [0, 1]), so one value suits every clip length; a keyframe at
    most 1 s (and a tenth of the clip) before that point stands for it, as
    it costs one decoded picture rather than a chain of them. The image is
    scaled down to at most *max_width* pixels wide: a poster for an HTML
    ``<video>``, not a still. Written through a temporary name and renamed.
    *info*: the video's :func:`probe`, when the caller has it (spares opening it again).
    """
    path = Path(path)
    out = Path(dest) if dest is not None else path.with_suffix(".jpg")
    if info is None:
        info = probe(path)
    target, slack = _moment(info, at)
    if info.width * info.height > IN_PROCESS_PIXELS and _draw_in_child(
        path, out, target, info.fps, max_width, slack
    ):
        return out
    image, _pictures = on_decoder_thread(_picture_at, path, target, info.fps, max_width, slack)
    give_back()
    _save_jpeg(image, out)
    return out


def _draw_in_child(
    path: Path, out: Path, target: float, fps: float, max_width: int, slack: float
) -> bool:
    """Draw the poster in a short-lived child process; False if no child could be started.

    Decoding forward to the moment holds the decoder's reference and reorder
    pictures: with B-frames (libx264's usual settings) that is up to eight 4k
    pictures, about 90 MB, whatever the thread settings, and FFmpeg allocates
    them from the level's limits, not from what the clip needs. In a child
    they are gone with it, and the kernel's memory never sees them. A plain
    ``python -m``, not multiprocessing: spawn and forkserver import the
    caller's ``__main__`` again, and a script's top level may submit a job.
    """
    if not sys.executable:
        return False  # an embedded interpreter: nothing to start
    package_root = Path(__file__).resolve().parents[2]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(package_root), env.get("PYTHONPATH")]))
    args = [str(path), str(out), repr(target), repr(fps), str(max_width), repr(slack)]
    try:
        done = subprocess.run(
            [sys.executable, "-m", f"{__package__}.poster_child", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False  # cannot start one here: decode in-process as before
    if done.returncode == 0 and out.is_file():
        return True
    lines = done.stderr.strip().splitlines()
    raise MediaError(lines[-1] if lines else f"cannot read a frame of {path.name}")


def draw_poster_file(argv: list[str]) -> int:
    """The child's side of :func:`_draw_in_child`: one poster, its error on stderr."""
    path, out, target, fps, max_width, slack = argv
    try:
        image, _pictures = _picture_at(
            Path(path), float(target), float(fps), int(max_width), float(slack)
        )
        _save_jpeg(image, Path(out))
    except MediaError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def _moment(info: VideoInfo, at: float) -> tuple[float, float]:
    """The poster's moment of a clip, in seconds, and how early a keyframe may stand for it."""
    target = info.seconds * min(max(at, 0.0), 1.0)
    if info.fps:
        # The last frame starts one frame before the end: aim there, not past it.
        target = min(target, max(0.0, info.seconds - 1 / info.fps))
    return target, min(KEYFRAME_SLACK, info.seconds / 10)


def _save_jpeg(image: Image.Image, out: Path) -> None:
    """*image* as *out*, written through a temporary name and renamed."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    try:
        image.save(tmp, format="JPEG", quality=POSTER_QUALITY, optimize=True)
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _picture_at(
    path: Path, target: float, fps: float, max_width: int, slack: float
) -> tuple[Image.Image, int]:
    """The frame at *target* seconds, RGB at most *max_width* wide, and the pictures decoded.

    Decoding starts at the keyframe at or before *target*. If that keyframe is
    at most *slack* seconds early it stands for the moment and is decoded
    alone: one picture, no reference chain (at 4k a decoder holding one
    picture takes about 25 MB, decoding forward, which holds the reference
    and the picture being decoded, about 41 MB). Only a keyframe further back
    (most generated clips have one, at the start) is decoded forward from, so
    ``at`` keeps meaning a moment of the clip. The keyframe's time comes from
    its packet, before anything is decoded. Either way the chosen frame is
    scaled by FFmpeg (swscale) straight into a small RGB image, never
    converted at full size (a 4k RGB copy alone is 25 MB, and PIL's resize
    wants another).
    """
    import av

    try:
        with av.open(str(path)) as container:
            image, pictures, last = _picture_in(container, path.name, target, fps, max_width, slack)
    except MediaError:
        raise
    except Exception as exc:
        raise MediaError(f"cannot read a frame of {path.name}: {exc}") from None
    if image is not None:
        return image, pictures
    if last is None:
        raise MediaError(f"{path.name} has no decodable frame")
    # The stream ended before the target (its header overstated the duration):
    # the last frame it has, found again rather than held all the way through.
    image, again = _picture_at(path, last, fps, max_width, 0.0)
    return image, pictures + again


def _picture_in(
    container: Any, name: str, target: float, fps: float, max_width: int, slack: float
) -> tuple[Image.Image | None, int, float | None]:
    """:func:`_picture_at` in an open *container*: the image (None if the stream ended
    before *target*), the pictures decoded, and the time of the last frame seen."""
    stream = container.streams.video[0]
    ctx = stream.codec_context
    ctx.flush_buffers()  # what an earlier decode of this container left is not this one's
    last: float | None = None
    pictures = 0
    if target > 0 and stream.time_base is not None:
        container.seek(
            int(target / stream.time_base), stream=stream, backward=True, any_frame=False
        )
    packets = (p for p in container.demux(stream) if p.size)
    first = next(packets, None)
    if first is None:
        raise MediaError(f"{name} has no decodable frame")
    if first.is_keyframe and _starts_by(first, target - slack):
        # Decode the keyframe, then drain: a decoder with a reorder delay
        # gives it up on the flush, without decoding the pictures after it.
        for frame in [*ctx.decode(first), *ctx.decode(None)]:
            return _scaled(frame, max_width), 1, None
        raise MediaError(f"{name} has no decodable frame")
    for packet in itertools.chain([first], packets, [None]):
        for frame in ctx.decode(packet):
            pictures += 1
            if frame.time is None or frame.time >= target - _half_frame(fps):
                return _scaled(frame, max_width), pictures, None
            last = frame.time
            del frame  # before the next decode, not after it
    return None, pictures, last


def _starts_by(packet: Any, earliest: float) -> bool:
    """Whether *packet* is presented at or after *earliest* seconds (unknown: yes)."""
    when = packet.pts if packet.pts is not None else packet.dts
    if when is None or packet.time_base is None:
        return True
    return bool(when * packet.time_base >= earliest)


def _scaled(frame: Any, max_width: int) -> Image.Image:
    width, height = frame.width, frame.height
    if width > max_width:
        width, height = max_width, max(1, round(height * max_width / width))
    small = frame.reformat(width=width, height=height, format="rgb24", interpolation="LANCZOS")
    image: Image.Image = small.to_image()
    return image


# -- where decoding runs, and giving its memory back -----------------------------
#
# A 4k frame is 12 MB, and glibc serves blocks that large from the arena of the
# thread asking, keeping freed ones at an arena's top for reuse once it has seen
# a few freed (its thresholds grow by themselves). Spread over asyncio.to_thread's
# workers, each decode would leave its own there, and a job's steps would stack
# them. So every decode runs on one thread (one arena, reused), one at a time
# (a sweep's jobs ending together do not each hold a decoder), and its freed
# blocks are handed back with malloc_trim when it is done.


def on_decoder_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run *fn(*args)* on the one decoder thread (see above), waiting for it from any other."""
    if threading.current_thread().name.startswith(_DECODER_NAME):
        return fn(*args)
    return _decoder().submit(fn, *args).result()


def _decoder() -> concurrent.futures.ThreadPoolExecutor:
    global _DECODER
    with _DECODER_LOCK:
        # A forked child inherits the executor but not its thread: start another.
        if _DECODER is None or _DECODER[0] != os.getpid():
            executor = concurrent.futures.ThreadPoolExecutor(
                1, thread_name_prefix=_DECODER_NAME, initializer=background
            )
            _DECODER = (os.getpid(), executor)
        return _DECODER[1]


_DECODER_NAME: Final = "ltx-notebook-decoder"
_DECODER: tuple[int, concurrent.futures.ThreadPoolExecutor] | None = None
_DECODER_LOCK = threading.Lock()


def give_back() -> None:
    """Hand the decoder's freed blocks back to the system (``malloc_trim``), where glibc can."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


@functools.cache
def _libc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") else None  # musl has none


def _half_frame(fps: float) -> float:
    return 0.5 / fps if fps else 0.0


def data_uri(path: str | os.PathLike[str], *, max_bytes: int | None) -> str | None:
    """``data:<mime>;base64,...`` of *path*, or ``None`` if the file is over *max_bytes*.

    The cap is on the file's size (the URI is a third larger); ``None`` means
    no cap, for an explicit request to embed. The cap keeps embedding bounded
    by default: fifty embedded videos would make a notebook of hundreds of
    megabytes. A missing file raises ``FileNotFoundError``.
    """
    path = Path(path)
    if max_bytes is not None and path.stat().st_size > max_bytes:
        return None
    mime = _MIME.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    data = path.read_bytes()
    if max_bytes is not None and len(data) > max_bytes:  # grew since the stat
        return None
    encoded = base64.b64encode(data).decode("ascii")
    return f"data:{mime or 'application/octet-stream'};base64,{encoded}"


# mimetypes' answers vary by platform (Windows registry); these must not.
_MIME: Final = {
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}
