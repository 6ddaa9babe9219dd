"""Small real MP4s made with PyAV."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

WIDTH, HEIGHT, FPS, SECONDS = 320, 180, 24, 2


def make_mp4(
    path: Path,
    *,
    audio: bool,
    seconds: float = SECONDS,
    width: int = WIDTH,
    height: int = HEIGHT,
    keyint: int | None = None,
) -> Path:
    """A moving gradient (so frames differ), optionally with a 440 Hz AAC tone.

    *keyint*: a keyframe every that many frames (libx264's default, 250, gives
    these short clips one keyframe, at the start, as generated clips have).
    """
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast"}
        if keyint is not None:
            video.options = {"preset": "ultrafast", "x264-params": f"keyint={keyint}:scenecut=0"}
        sound = None
        if audio:
            sound = out.add_stream("aac", rate=48000)
            sound.layout = "stereo"
        xs = np.linspace(0, 255, width, dtype=np.float32)
        for i in range(round(FPS * seconds)):
            shift = (xs + i * 8) % 256
            rgb = np.empty((height, width, 3), dtype=np.uint8)
            rgb[..., 0] = shift
            rgb[..., 1] = np.linspace(0, 255, height, dtype=np.uint8)[:, None]
            rgb[..., 2] = 128
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            out.mux(video.encode(frame))
        out.mux(video.encode())
        if sound is not None:
            rate, samples = 48000, 1024
            total = round(rate * seconds)
            for start in range(0, total, samples):
                t = (np.arange(start, start + samples) / rate).astype(np.float32)
                tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
                frame = av.AudioFrame.from_ndarray(
                    np.stack([tone, tone]), format="fltp", layout="stereo"
                )
                frame.sample_rate = rate
                frame.pts = start
                frame.time_base = Fraction(1, rate)
                out.mux(sound.encode(frame))
            out.mux(sound.encode())
    return path


def count_opens(monkeypatch: Any) -> list[str]:
    """The names of the files ``av.open`` opens from now on (each runs FFmpeg's probe)."""
    names: list[str] = []
    real: Callable[..., Any] = av.open

    def counting(file: Any, *args: Any, **kwargs: Any) -> Any:
        names.append(Path(str(file)).name)
        return real(file, *args, **kwargs)

    monkeypatch.setattr(av, "open", counting)
    return names
