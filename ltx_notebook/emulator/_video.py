"""Real MP4 synthesis with PyAV, and a render cache on disk.

The picture is derived from the prompt so that different prompts give visibly
different clips (a hash-seeded palette, a drifting colour field, moving discs,
the prompt as a caption, a small overlay of the request's parameters), and an
input image, when given, is the picture the clip starts from. Frames are cheap
numpy slices of layers computed once per render: the cost of a render is
dominated by the H.264 encoder, not by Python.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import tempfile
import textwrap
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Final

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

__all__ = ["FRAME_SIZES", "RenderCancelled", "RenderResult", "RenderSpec", "Renderer"]

FRAME_SIZES: Final = {"1080p": (1920, 1080), "2k": (2560, 1440), "4k": (3840, 2160)}
SAMPLE_RATE: Final = 48_000
_AAC_FRAME: Final = 1024
_FONT_DIR: Final = Path("/usr/share/fonts/truetype/dejavu")
# Bumped whenever the picture changes, so an old cache never serves a stale look.
_RENDER_VERSION: Final = 2
_PUSH_IN_SECONDS: Final = 3.0


class RenderCancelled(Exception):
    """The renderer was closed while a render was running."""


@dataclass(frozen=True)
class RenderSpec:
    """Everything that shapes the pixels and samples of one clip (and nothing else)."""

    prompt: str
    duration: int
    resolution: str
    generate_audio: bool
    model: str = "ltx-2-pro"
    image: bytes | None = field(default=None, repr=False)
    image_note: str | None = None
    scale: float = 1.0
    fps: int = 24
    # The model's own frame and frame count, where they do not follow from the label.
    frame: tuple[int, int] | None = None
    frames: int | None = None

    @property
    def frame_count(self) -> int:
        return self.frames if self.frames is not None else self.duration * self.fps

    @property
    def seconds(self) -> float:
        return self.frame_count / self.fps

    @property
    def size(self) -> tuple[int, int]:
        width, height = self.frame or FRAME_SIZES[self.resolution]
        if self.scale == 1.0:
            return width, height
        # libx264 with yuv420p needs even dimensions.
        return (
            max(2, round(width * self.scale / 2) * 2),
            max(2, round(height * self.scale / 2) * 2),
        )

    @property
    def image_digest(self) -> str | None:
        return hashlib.sha256(self.image).hexdigest() if self.image is not None else None

    def cache_key(self, preset: str) -> str:
        parts = (
            _RENDER_VERSION,
            self.prompt,
            self.duration,
            self.resolution,
            self.generate_audio,
            self.model,
            self.image_digest,
            self.image_note,
            self.scale,
            self.fps,
            self.frame,
            self.frames,
            preset,
        )
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class RenderResult:
    path: Path
    size: int
    cached: bool
    seconds: float


class Renderer:
    """Renders clips into ``cache_dir``, once per distinct :class:`RenderSpec`.

    Thread-safe: concurrent requests for the same spec share one render.
    ``hits`` and ``misses`` count cache answers, for tests and the docs' claims.
    """

    def __init__(
        self,
        cache_dir: Path,
        *,
        preset: str = "veryfast",
        crf: int = 23,
        keyint: int | None = None,
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.preset = preset
        self.keyint = keyint
        self.crf = crf
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        self._inflight: dict[str, Future[RenderResult]] = {}
        self._closed = threading.Event()

    def path_for(self, spec: RenderSpec) -> Path:
        preset = self.preset if self.keyint is None else f"{self.preset}+keyint={self.keyint}"
        return self.cache_dir / f"{spec.cache_key(preset)}.mp4"

    def close(self) -> None:
        """Make running renders stop at their next frame."""
        self._closed.set()

    def render(self, spec: RenderSpec) -> RenderResult:
        path = self.path_for(spec)
        key = path.stem
        with self._lock:
            if path.exists():
                self.hits += 1
                return RenderResult(path, path.stat().st_size, cached=True, seconds=0.0)
            shared = self._inflight.get(key)
            if shared is None:
                self.misses += 1
                mine: Future[RenderResult] = Future()
                self._inflight[key] = mine
        if shared is not None:
            # Someone else is rendering the same clip: their file is our file.
            result = shared.result()
            with self._lock:
                self.hits += 1
            return RenderResult(result.path, result.size, cached=True, seconds=0.0)
        started = time.perf_counter()
        try:
            self._render_to(spec, path)
            result = RenderResult(
                path, path.stat().st_size, cached=False, seconds=time.perf_counter() - started
            )
        except BaseException as exc:
            mine.set_exception(exc)
            raise
        finally:
            with self._lock:
                self._inflight.pop(key, None)
        mine.set_result(result)
        return result

    def _render_to(self, spec: RenderSpec, path: Path) -> None:
        # Render beside the target and rename, so a half-written file is never served.
        fd, tmp_name = tempfile.mkstemp(suffix=".mp4.part", dir=self.cache_dir)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            encode(
                spec,
                tmp,
                preset=self.preset,
                crf=self.crf,
                keyint=self.keyint,
                cancelled=self._closed,
            )
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)


# --------------------------------------------------------------------------- synthesis


def _seed(prompt: str) -> int:
    return int.from_bytes(hashlib.sha256(prompt.encode()).digest()[:8], "big")


def _palette(rng: np.random.Generator) -> np.ndarray:
    """Five harmonious colours: hues spread around a prompt-chosen base hue."""
    base = rng.random()
    hues = (base + np.array([0.0, 0.08, 0.33, 0.5, 0.66]) + rng.normal(0, 0.02, 5)) % 1.0
    sats = rng.uniform(0.55, 0.9, 5)
    vals = rng.uniform(0.55, 0.95, 5)
    return np.stack([_hsv_to_rgb(h, s, v) for h, s, v in zip(hues, sats, vals, strict=True)])


def _hsv_to_rgb(h: float, s: float, v: float) -> np.ndarray:
    i = int(h * 6) % 6
    f = h * 6 - int(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    rgb = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]
    return np.array(rgb) * 255.0


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    candidate = _FONT_DIR / name
    if candidate.exists():
        return ImageFont.truetype(str(candidate), size)
    return ImageFont.load_default(size=size)


def _colour_field(
    width: int, height: int, palette: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """A smooth colour field, computed small and upscaled (smooth fields upscale losslessly)."""
    sw, sh = max(8, width // 8), max(8, height // 8)
    y, x = np.mgrid[0:sh, 0:sw].astype(np.float32)
    x /= sw
    y /= sh
    weights = []
    for _ in range(len(palette)):
        fx, fy = rng.uniform(0.5, 2.5, 2)
        px, py = rng.uniform(0, 2 * math.pi, 2)
        weights.append(np.exp(1.6 * np.sin(2 * math.pi * fx * x + px) * np.cos(fy * y * 6 + py)))
    w = np.stack(weights)
    w /= w.sum(axis=0, keepdims=True)
    small = np.einsum("khw,kc->hwc", w, palette).clip(0, 255).astype(np.uint8)
    return np.asarray(Image.fromarray(small).resize((width, height), Image.Resampling.BILINEAR))


def _cover(image_bytes: bytes, width: int, height: int) -> np.ndarray | None:
    """The image scaled and centre-cropped to fill width x height, or None if unreadable."""
    try:
        with Image.open(io.BytesIO(image_bytes)) as opened:
            im = opened.convert("RGB")
            scale = max(width / im.width, height / im.height)
            resized = im.resize(
                (
                    max(width, math.ceil(im.width * scale)),
                    max(height, math.ceil(im.height * scale)),
                ),
                Image.Resampling.LANCZOS,
            )
            left = (resized.width - width) // 2
            top = (resized.height - height) // 2
            return np.asarray(resized.crop((left, top, left + width, top + height)))
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


@dataclass
class _Sprite:
    """A pre-multiplied RGBA patch blended at a position each frame."""

    rgb: np.ndarray  # uint16, colour already multiplied by alpha
    inv_alpha: np.ndarray  # uint16, 255 - alpha, shape (h, w, 1)

    @classmethod
    def from_rgba(cls, rgba: np.ndarray) -> _Sprite:
        alpha = rgba[..., 3:4].astype(np.uint16)
        return cls(rgba[..., :3].astype(np.uint16) * alpha, 255 - alpha)

    def blit(self, frame: np.ndarray, x: int, y: int, fade: float = 1.0) -> None:
        h, w = self.inv_alpha.shape[:2]
        fh, fw = frame.shape[:2]
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, fw), min(y + h, fh)
        if x0 >= x1 or y0 >= y1:
            return
        sx, sy = x0 - x, y0 - y
        region = frame[y0:y1, x0:x1]
        inv = self.inv_alpha[sy : sy + y1 - y0, sx : sx + x1 - x0]
        rgb = self.rgb[sy : sy + y1 - y0, sx : sx + x1 - x0]
        if fade < 1.0:
            k = np.uint16(round(fade * 256))
            inv = 255 - (((255 - inv) * k) >> 8)
            rgb = (rgb * k) >> 8
        region[...] = ((region * inv + rgb) // 255).astype(np.uint8)


def _disc(radius: int, colour: np.ndarray) -> _Sprite:
    # Drawn 4x larger then reduced: a cheap anti-aliased edge.
    big = Image.new("RGBA", (radius * 8, radius * 8), (0, 0, 0, 0))
    ImageDraw.Draw(big).ellipse(
        (0, 0, radius * 8 - 1, radius * 8 - 1), fill=(*[int(c) for c in colour], 200)
    )
    small = big.resize((radius * 2, radius * 2), Image.Resampling.LANCZOS)
    return _Sprite.from_rgba(np.asarray(small))


def _text_panel(
    lines: list[str],
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    pad: int,
    fill_alpha: int,
) -> _Sprite:
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    boxes = [probe.textbbox((0, 0), line or " ", font=font) for line in lines]
    # Bounding boxes are whole pixels for these fonts; int() only says so to the checker.
    line_h = int(max(b[3] for b in boxes)) + pad // 2
    width = int(max(b[2] for b in boxes)) + 2 * pad
    height = line_h * len(lines) + pad
    panel = Image.new("RGBA", (max(width, 2), max(height, 2)), (0, 0, 0, fill_alpha))
    draw = ImageDraw.Draw(panel)
    for i, line in enumerate(lines):
        draw.text((pad, pad // 2 + i * line_h), line, font=font, fill=(255, 255, 255, 255))
    return _Sprite.from_rgba(np.asarray(panel))


def _caption_lines(prompt: str, width_chars: int, max_lines: int = 3) -> list[str]:
    lines = textwrap.wrap(" ".join(prompt.split()), width=max(width_chars, 8)) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(width_chars - 1, 1)].rstrip() + "…"
    return lines


class _Scene:
    """The precomputed layers of one clip; ``frame(i)`` composes frame *i*."""

    def __init__(self, spec: RenderSpec) -> None:
        self.width, self.height = spec.size
        self.frames = spec.frame_count
        self.fps = spec.fps
        rng = np.random.default_rng(_seed(spec.prompt))
        palette = _palette(rng)
        w, h = self.width, self.height
        # The canvas is larger than the frame: the camera drifts across it.
        self.margin_x, self.margin_y = max(2, w // 10), max(2, h // 10)
        cw, ch = w + 2 * self.margin_x, h + 2 * self.margin_y
        cover = _cover(spec.image, cw, ch) if spec.image is not None else None
        self.from_image = cover is not None
        self.image = Image.fromarray(cover) if cover is not None else None
        self.canvas = cover if cover is not None else _colour_field(cw, ch, palette, rng)
        self.phase = rng.uniform(0, 2 * math.pi, 2)
        self.discs = []
        for k in range(4):
            radius = max(2, int(h * rng.uniform(0.06, 0.14)))
            self.discs.append(
                (
                    _disc(radius, palette[(k + 1) % len(palette)]),
                    radius,
                    rng.uniform(0.1, 0.9, 2),  # centre, as a fraction of the frame
                    rng.uniform(0.12, 0.3, 2),  # amplitude
                    rng.uniform(0.15, 0.5, 2) * rng.choice([-1, 1], 2),  # cycles per second
                    rng.uniform(0, 2 * math.pi, 2),
                )
            )
        caption_size = max(8, h // 22)
        chars = int(w * 0.86 / (caption_size * 0.55))
        self.caption = _text_panel(
            _caption_lines(spec.prompt, chars), _font(caption_size, bold=True), caption_size, 150
        )
        overlay_size = max(6, h // 45)
        audio = "audio on" if spec.generate_audio else "no audio"
        details = [f"{spec.model} · {spec.duration}s · {spec.resolution} · {audio}"]
        if spec.image is not None or spec.image_note:
            details.append(f"image: {spec.image_note or 'input image'}")
        details.append("ltx-notebook emulator")
        self.overlay = _text_panel(details, _font(overlay_size), overlay_size, 110)
        self.bar_h = max(2, h // 180)
        self.bar_colour = palette[0].astype(np.uint8)

    def frame(self, i: int) -> np.ndarray:
        t = i / self.fps
        w, h = self.width, self.height
        mx, my = self.margin_x, self.margin_y
        if self.image is not None and t < _PUSH_IN_SECONDS:
            # A slow push-in: frame 0 is the whole image, then the view tightens to
            # the centre. Nearest-neighbour keeps it cheap (bilinear costs 5x).
            p = t / _PUSH_IN_SECONDS
            box = (mx * p, my * p, mx * (2 - p) + w, my * (2 - p) + h)
            out = np.array(self.image.resize((w, h), Image.Resampling.NEAREST, box=box))
        elif self.from_image:
            out = self.canvas[my : my + h, mx : mx + w].copy()
        else:
            ox = int(mx + mx * math.sin(2 * math.pi * t / 7.0 + self.phase[0]))
            oy = int(my + my * math.sin(2 * math.pi * t / 5.0 + self.phase[1]))
            out = self.canvas[oy : oy + h, ox : ox + w].copy()
        # Over an input image the motion fades in, so frame 0 is the image itself.
        fade = min(1.0, t / 1.5) if self.from_image else 1.0
        if fade > 0:
            for sprite, radius, centre, amp, freq, phase in self.discs:
                cx = (centre[0] + amp[0] * math.sin(2 * math.pi * freq[0] * t + phase[0])) * w
                cy = (centre[1] + amp[1] * math.sin(2 * math.pi * freq[1] * t + phase[1])) * h
                sprite.blit(out, int(cx) - radius, int(cy) - radius, fade)
        ch_, cw_ = self.caption.inv_alpha.shape[:2]
        self.caption.blit(out, (w - cw_) // 2, h - ch_ - h // 14)
        pad = max(2, h // 60)
        self.overlay.blit(out, pad, pad)
        # A progress bar makes seeking visibly land where it should.
        done = int(w * (i + 1) / self.frames)
        out[h - self.bar_h :, :done] = self.bar_colour
        return out


def _chord(spec: RenderSpec) -> np.ndarray:
    """A prompt-chosen triad, with a slow swell and short fades; (2, samples) float32."""
    rng = np.random.default_rng(_seed(spec.prompt) ^ 0xA0D10)
    root = 110.0 * 2 ** (int(rng.integers(0, 24)) / 12)
    third = 4 if rng.random() < 0.5 else 3
    freqs = [root, root * 2 ** (third / 12), root * 2 ** (7 / 12), root * 2]
    n = round(spec.seconds * SAMPLE_RATE)
    t = np.arange(n, dtype=np.float64) / SAMPLE_RATE
    wave = sum(
        np.sin(2 * np.pi * f * t + rng.uniform(0, 6.28)) / (k + 1) for k, f in enumerate(freqs)
    )
    swell = 0.6 + 0.4 * np.sin(2 * np.pi * t / max(spec.seconds, 1) - np.pi / 2) ** 2
    fade = np.minimum(1.0, np.minimum(t / 0.05, (spec.seconds - t) / 0.25))
    mono = (0.18 * wave * swell * fade).astype(np.float32)
    pan = np.float32(rng.uniform(0.35, 0.65))
    return np.stack([mono * (1 - pan) * 2, mono * pan * 2]).clip(-1, 1).astype(np.float32)


def encode(
    spec: RenderSpec,
    path: Path,
    *,
    preset: str = "veryfast",
    crf: int = 23,
    keyint: int | None = None,
    cancelled: threading.Event | None = None,
) -> None:
    """Write the clip of *spec* to *path* as a fast-start MP4 (H.264 + optional AAC)."""
    scene = _Scene(spec)
    audio = _chord(spec) if spec.generate_audio else None
    with av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"}) as box:
        video = box.add_stream("libx264", rate=spec.fps)
        video.width, video.height = scene.width, scene.height
        video.pix_fmt = "yuv420p"
        video.time_base = Fraction(1, spec.fps)
        video.options = {"preset": preset, "crf": str(crf)}
        if keyint is not None:
            video.options = {**video.options, "x264-params": f"keyint={keyint}:scenecut=0"}
        if audio is not None:
            sound = box.add_stream("aac", rate=SAMPLE_RATE, layout="stereo")
            sound.time_base = Fraction(1, SAMPLE_RATE)
        sent = 0
        for i in range(scene.frames):
            if cancelled is not None and cancelled.is_set():
                raise RenderCancelled(path.name)
            frame = av.VideoFrame.from_ndarray(scene.frame(i), format="rgb24")
            frame.pts = i
            box.mux(video.encode(frame))
            if audio is not None:
                # Audio goes in alongside the video so the muxer interleaves as it goes.
                until = min(audio.shape[1], (i + 1) * SAMPLE_RATE // spec.fps)
                while sent + _AAC_FRAME <= until or (until == audio.shape[1] and sent < until):
                    chunk = audio[:, sent : sent + _AAC_FRAME]
                    af = av.AudioFrame.from_ndarray(
                        np.ascontiguousarray(chunk), format="fltp", layout="stereo"
                    )
                    af.sample_rate = SAMPLE_RATE
                    af.pts = sent
                    box.mux(sound.encode(af))
                    sent += chunk.shape[1]
        box.mux(video.encode(None))
        if audio is not None:
            box.mux(sound.encode(None))
