"""The MP4s themselves, read back with PyAV: duration, size, audio, fast-start, cache."""

from __future__ import annotations

import struct
from pathlib import Path

import av
import httpx
import numpy as np
import pytest
from emu_support import StartEmulator, png_bytes, run_to_completion

from ltx_notebook.emulator import Renderer, RenderSpec


def probe(path: Path) -> dict[str, object]:
    with av.open(str(path)) as box:
        video = box.streams.video[0]
        info: dict[str, object] = {
            "width": video.codec_context.width,
            "height": video.codec_context.height,
            "codec": video.codec_context.name,
            "pix_fmt": video.codec_context.pix_fmt,
            "fps": float(video.average_rate),
            "video_seconds": float(video.duration * video.time_base),
            "frames": sum(1 for _ in box.demux(video) if _.size),
            "audio": None,
        }
    with av.open(str(path)) as box:
        if box.streams.audio:
            audio = box.streams.audio[0]
            info["audio"] = {
                "codec": audio.codec_context.name,
                "seconds": float(audio.duration * audio.time_base),
                "rate": audio.codec_context.sample_rate,
            }
    return info


def top_level_boxes(path: Path) -> list[str]:
    names = []
    with path.open("rb") as fh:
        while header := fh.read(8):
            size, kind = struct.unpack(">I4s", header)
            skip = size - 8
            if size == 1:
                skip = struct.unpack(">Q", fh.read(8))[0] - 16
            elif size == 0:
                names.append(kind.decode())
                break
            names.append(kind.decode())
            fh.seek(skip, 1)
    return names


def first_frame(path: Path) -> np.ndarray:
    with av.open(str(path)) as box:
        frame = next(box.decode(video=0))
        return frame.to_ndarray(format="rgb24")


def check(path: Path, spec: RenderSpec) -> dict[str, object]:
    info = probe(path)
    frame = 1 / spec.fps
    assert info["codec"] == "h264" and info["pix_fmt"] == "yuv420p"
    assert info["fps"] == spec.fps
    assert abs(info["video_seconds"] - spec.duration) <= frame  # type: ignore[operator]
    assert info["frames"] == spec.duration * spec.fps
    assert (info["width"], info["height"]) == spec.size
    audio = info["audio"]
    if spec.generate_audio:
        assert isinstance(audio, dict) and audio["codec"] == "aac"
        assert abs(audio["seconds"] - spec.duration) <= frame
    else:
        assert audio is None
    boxes = top_level_boxes(path)
    assert boxes.index("moov") < boxes.index("mdat"), boxes  # fast-start
    return info


@pytest.fixture
def renderer(tmp_path: Path) -> Renderer:
    return Renderer(tmp_path / "cache", preset="ultrafast")


@pytest.mark.parametrize(
    ("resolution", "duration", "audio", "size"),
    [
        ("1080p", 6, True, (192, 108)),
        ("2k", 8, False, (256, 144)),
        ("4k", 10, True, (384, 216)),
    ],
)
def test_scaled_renders(
    renderer: Renderer,
    resolution: str,
    duration: int,
    audio: bool,
    size: tuple[int, int],
) -> None:
    spec = RenderSpec("a koi pond in the rain", duration, resolution, audio, scale=0.1)
    assert spec.size == size
    check(renderer.render(spec).path, spec)


def test_25_fps(renderer: Renderer) -> None:
    spec = RenderSpec("a bee", 6, "1080p", False, scale=0.1, fps=25)
    check(renderer.render(spec).path, spec)


def test_full_resolution_1080p(renderer: Renderer) -> None:
    spec = RenderSpec("a city street at night, neon reflections", 6, "1080p", True)
    info = check(renderer.render(spec).path, spec)
    assert (info["width"], info["height"]) == (1920, 1080)


@pytest.mark.slow
def test_full_resolution_4k(renderer: Renderer) -> None:
    spec = RenderSpec("snowy mountains under a green aurora", 6, "4k", True)
    info = check(renderer.render(spec).path, spec)
    assert (info["width"], info["height"]) == (3840, 2160)


def test_cache_hits(renderer: Renderer) -> None:
    spec = RenderSpec("a windmill", 6, "1080p", True, scale=0.1)
    first = renderer.render(spec)
    assert (first.cached, renderer.misses, renderer.hits) == (False, 1, 0)
    again = renderer.render(spec)
    assert again.cached and again.path == first.path
    assert (renderer.misses, renderer.hits) == (1, 1)
    other = renderer.render(RenderSpec("a windmill", 6, "1080p", False, scale=0.1))
    assert not other.cached and other.path != first.path
    assert not list(renderer.cache_dir.glob("*.part"))
    # A new renderer over the same directory reuses the files.
    assert Renderer(renderer.cache_dir, preset="ultrafast").render(spec).cached


def test_keyint_places_keyframes(tmp_path: Path) -> None:
    spec = RenderSpec("a lighthouse", 6, "1080p", False, scale=0.1)
    plain = Renderer(tmp_path, preset="ultrafast").render(spec).path
    keyed = Renderer(tmp_path, preset="ultrafast", keyint=24).render(spec).path
    assert plain != keyed  # a cache entry of its own

    def keyframes(path: Path) -> list[int]:
        with av.open(str(path)) as box:
            packets = [p for p in box.demux(box.streams.video[0]) if p.size]
            return [i for i, packet in enumerate(packets) if packet.is_keyframe]

    assert keyframes(plain) == [0]  # libx264's default interval outlasts the clip
    assert keyframes(keyed) == [0, 24, 48, 72, 96, 120]


def test_prompt_shapes_the_picture(renderer: Renderer) -> None:
    a = first_frame(renderer.render(RenderSpec("red desert", 6, "1080p", False, scale=0.1)).path)
    b = first_frame(renderer.render(RenderSpec("blue ocean", 6, "1080p", False, scale=0.1)).path)
    assert np.abs(a.astype(int) - b.astype(int)).mean() > 10


def test_image_fills_the_first_frame(renderer: Renderer) -> None:
    colour = (200, 30, 40)
    spec = RenderSpec("zoom", 6, "1080p", False, image=png_bytes(colour), scale=0.25)
    frame = first_frame(renderer.render(spec).path)
    h, w = frame.shape[:2]
    centre = frame[h // 3 : h // 2, w // 3 : 2 * w // 3].reshape(-1, 3).mean(axis=0)
    assert np.abs(centre - np.array(colour)).max() < 20


def test_emulator_serves_renders_and_counts_cache(start: StartEmulator, http: httpx.Client) -> None:
    emu = start(render_scale=0.1)
    one = run_to_completion(emu, http, prompt="same clip", generate_audio=False)
    two = run_to_completion(emu, http, prompt="same clip", generate_audio=False)
    assert emu.renderer.misses == 1 and emu.renderer.hits == 1
    first, second = (emu.engine.jobs[r["request_id"]] for r in (one, two))
    assert first.render_cached is False and second.render_cached is True
    assert one["output"] != two["output"]  # a URL per job, one file behind both
    data = http.get(two["output"]).content
    path = emu.data_dir / "served.mp4"
    path.write_bytes(data)
    info = probe(path)
    assert info["audio"] is None and (info["width"], info["height"]) == (192, 108)
