"""A copy of a clip that VS Code's player plays with sound: its audio as MP3.

VS Code's notebook player is Electron's FFmpeg built without AAC, and AAC will
not be added (microsoft/vscode#162062, #156558), so a clip from the service
(H.264 video, AAC audio) plays silent there. An MP4 whose audio track is MP3
plays with sound (a maintainer's test in #162062); Opus is not on its list
(#180780). So the copy keeps the H.264 stream as it is (no re-encode: the
same packets, the same picture) and only the audio is converted, with PyAV's
own FFmpeg (libmp3lame), no ffmpeg binary.

The copy is found by its name beside the original (``ltx-0042-1a2b.vscode.mp4``),
made once, written through a temporary name and renamed, so a file with that
name is always whole. The original is only read, and never replaced under its
name (the store's names are unique per job), so a copy once made stays true;
its modification time says nothing (the media cache touches files it plays).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path
from typing import Any, Final

from .._core.errors import MediaError
from . import media

__all__ = ["MP3_BIT_RATE", "copy_path", "is_copy", "mp3_audio_copy"]

# Beside the AAC track's usual 128-192 kbit/s: no audible loss from the second encoding.
MP3_BIT_RATE: Final = 192_000
_COPY_SUFFIX: Final = ".vscode.mp4"


def copy_path(path: str | os.PathLike[str]) -> Path:
    """Where the MP3-audio copy of *path* lives: ``ltx-0042-1a2b.vscode.mp4`` beside it."""
    path = Path(path)
    return path.with_name(path.stem + _COPY_SUFFIX)


def is_copy(path: str | os.PathLike[str]) -> bool:
    """Whether *path* is such a copy: derived, never a canonical video of its own."""
    return Path(path).name.endswith(_COPY_SUFFIX)


def mp3_audio_copy(path: str | os.PathLike[str]) -> Path:
    """The file to play where AAC does not: the copy with MP3 audio, made on first call.

    *path* itself when it needs no copy (no audio track, or its audio is
    already MP3). :class:`MediaError` (one line) when the copy cannot be made;
    the original is never touched. Runs on the media decoder thread, one
    conversion at a time, like every other decode.
    """
    path = Path(path)
    if is_copy(path):
        return path
    copy = copy_path(path)
    if copy.is_file():
        return copy
    made: Path = media.on_decoder_thread(_make_copy, path, copy)
    media.give_back()
    return made


def _make_copy(path: Path, copy: Path) -> Path:
    if copy.is_file():  # made by a call queued before this one
        return copy
    import av  # PyAV (and FFmpeg) load when a video is first read, not at import

    tmp = copy.with_name(f"{copy.stem}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with av.open(str(path)) as source:
            if not source.streams.video:
                raise MediaError(f"{path.name} has no video stream")
            if not source.streams.audio:
                return path
            if source.streams.audio[0].codec_context.name.startswith("mp3"):  # mp3, mp3float
                return path
            with av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as out:
                _remux(source, out)
        os.replace(tmp, copy)
        return copy
    except MediaError:
        raise
    except FileNotFoundError:
        raise MediaError(f"video file not found: {path}") from None
    except Exception as exc:  # PyAV raises a zoo of FFmpeg errors for a bad file
        raise MediaError(f"cannot convert {path.name}'s audio to MP3: {exc}") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _remux(source: Any, out: Any) -> None:
    """Copy *source*'s first video stream into *out* packet for packet; its audio as MP3."""
    video_in = source.streams.video[0]
    audio_in = source.streams.audio[0]
    video_out = out.add_stream_from_template(video_in)
    layout = audio_in.codec_context.layout.name
    audio_out = out.add_stream("libmp3lame", rate=audio_in.codec_context.sample_rate, layout=layout)
    audio_out.bit_rate = MP3_BIT_RATE
    for packet in source.demux(video_in, audio_in):
        if packet.dts is None:  # the demuxer's end-of-stream marker
            continue
        if packet.stream is video_in:
            packet.stream = video_out
            out.mux(packet)
            continue
        for frame in packet.decode():
            frame.pts = None  # the encoder counts samples itself (MP3 frames are 1152 long)
            out.mux(audio_out.encode(frame))
    out.mux(audio_out.encode(None))
