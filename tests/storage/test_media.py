"""The media layer on real files: probe, poster, save_stream, names, data URIs."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from ltx_notebook._core.errors import MediaError
from ltx_notebook._storage import media as media_module
from ltx_notebook._storage.media import (
    VideoInfo,
    _picture_at,
    data_uri,
    media_path,
    poster,
    probe,
)
from ltx_notebook._storage.parts import save_stream
from tests.storage.media_videos import FPS, HEIGHT, SECONDS, WIDTH, count_opens


async def chunked(data: bytes, size: int = 4096) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        await asyncio.sleep(0)
        yield data[start : start + size]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- probe --------------------------------------------------------------------


def test_probe_reads_duration_size_fps_and_audio(mp4_audio: Path) -> None:
    info = probe(mp4_audio)
    assert isinstance(info, VideoInfo)
    assert info.seconds == pytest.approx(SECONDS, abs=0.1)
    assert (info.width, info.height) == (WIDTH, HEIGHT)
    assert info.fps == pytest.approx(FPS)
    assert info.has_audio is True
    assert info.file_bytes == mp4_audio.stat().st_size
    assert info.codec == "h264"


def test_probe_sees_no_audio(mp4_silent: Path) -> None:
    assert probe(mp4_silent).has_audio is False


def test_probe_refuses_what_is_not_a_video(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"<html>not found</html>" * 50)
    with pytest.raises(MediaError, match=r"junk\.mp4"):
        probe(junk)
    with pytest.raises(MediaError, match="not found"):
        probe(tmp_path / "missing.mp4")


def test_probe_refuses_a_truncated_video(tmp_path: Path, mp4_audio: Path) -> None:
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(mp4_audio.read_bytes()[: mp4_audio.stat().st_size // 2])
    with pytest.raises(MediaError):
        probe(cut)


# -- poster -------------------------------------------------------------------


def test_poster_is_a_jpeg_beside_the_video(tmp_path: Path, mp4_silent: Path) -> None:
    video = tmp_path / "clip.mp4"
    video.write_bytes(mp4_silent.read_bytes())
    out = poster(video)
    assert out == tmp_path / "clip.jpg"
    with Image.open(out) as image:
        assert image.format == "JPEG"
        assert image.size == (WIDTH, HEIGHT)  # already under the cap: not scaled
    assert leftovers(tmp_path) == ["clip.jpg", "clip.mp4"]  # no temporary left


def test_poster_is_scaled_down_to_the_cap(tmp_path: Path, mp4_wide: Path) -> None:
    out = poster(mp4_wide, tmp_path / "p.jpg")
    with Image.open(out) as image:
        assert image.size == (640, 360)
    small = poster(mp4_wide, tmp_path / "small.jpg", max_width=200)
    with Image.open(small) as image:
        assert image.width == 200
        assert image.height == pytest.approx(112, abs=1)


def test_poster_at_picks_a_point_in_the_clip(tmp_path: Path, mp4_silent: Path) -> None:
    first = poster(mp4_silent, tmp_path / "first.jpg", at=0.0)
    middle = poster(mp4_silent, tmp_path / "middle.jpg", at=0.5)
    last = poster(mp4_silent, tmp_path / "last.jpg", at=1.0)
    with Image.open(first) as a, Image.open(middle) as b, Image.open(last) as c:
        assert ImageChops.difference(a, b).getbbox() is not None
        assert ImageChops.difference(b, c).getbbox() is not None


def test_posters_from_many_threads_at_once(tmp_path: Path, mp4_wide: Path) -> None:
    # Decodes take turns on one thread; callers from any thread just wait for theirs.
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda i: poster(mp4_wide, tmp_path / f"p{i}.jpg"), range(8)))
    for out in outs:
        with Image.open(out) as image:
            assert image.size == (640, 360)


def test_poster_of_a_non_video_is_a_media_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00" * 1000)
    with pytest.raises(MediaError):
        poster(junk)
    assert not (tmp_path / "junk.jpg").exists()


# -- a large frame's poster is drawn in a child process ------------------------
#
# Decoding forward through B-frames holds up to eight pictures (about 90 MB at
# 4k): past 1080p the kernel hands the decode to a child, and that memory leaves
# with it. Here the bar is lowered so the small test clips count as large.


def test_a_large_frames_poster_is_drawn_in_a_child_the_same(
    tmp_path: Path, mp4_silent: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = poster(mp4_silent, tmp_path / "here.jpg")
    monkeypatch.setattr(media_module, "IN_PROCESS_PIXELS", 0)
    info = probe(mp4_silent)
    opened = count_opens(monkeypatch)
    there = poster(mp4_silent, tmp_path / "there.jpg", info=info)
    assert opened == []  # not decoded in this process
    with Image.open(here) as a, Image.open(there) as b:
        assert a.size == b.size
        assert ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getbbox() is None
    assert leftovers(tmp_path) == ["here.jpg", "there.jpg"]


def test_a_child_that_cannot_read_the_video_says_why_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00" * 1000)
    monkeypatch.setattr(media_module, "IN_PROCESS_PIXELS", 0)
    fake = VideoInfo(
        seconds=2.0, width=64, height=64, fps=FPS, has_audio=False, file_bytes=1000, codec="h264"
    )
    with pytest.raises(MediaError, match=r"^cannot read a frame of junk\.mp4: [^\n]+$"):
        poster(junk, tmp_path / "junk.jpg", info=fake)
    assert not (tmp_path / "junk.jpg").exists()


def test_with_no_interpreter_to_start_the_poster_is_drawn_here(
    tmp_path: Path, mp4_silent: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(media_module, "IN_PROCESS_PIXELS", 0)
    monkeypatch.setattr(media_module.sys, "executable", "")  # an embedded Python
    out = poster(mp4_silent, tmp_path / "p.jpg")
    with Image.open(out) as image:
        assert image.size == (WIDTH, HEIGHT)


# -- how many pictures a poster decodes ----------------------------------------
#
# Memory is what a decoder holds: at 4k one picture is ~25 MB with its tables,
# decoding forward holds two. The counts below are of pictures decoded (with
# non-key pictures skipped, the decoder outputs every picture it decodes).


def test_a_keyframe_near_the_moment_is_decoded_alone(mp4_keyed: Path) -> None:
    # Keyframes at 1.0 s and 1.25 s; 1.1 s is two frames past the first.
    image, pictures = _picture_at(mp4_keyed, 1.1, FPS, 640, slack=0.2)
    assert pictures == 1
    assert image.size == (WIDTH, HEIGHT)
    # The same keyframe, reached by decoding forward from it, is the same picture.
    at_key, _ = _picture_at(mp4_keyed, 1.0, FPS, 640, slack=0.0)
    assert ImageChops.difference(image, at_key).getbbox() is None


def test_without_slack_the_exact_frame_is_decoded_forward(mp4_keyed: Path) -> None:
    exact, pictures = _picture_at(mp4_keyed, 1.1, FPS, 640, slack=0.0)
    assert pictures == 3  # frames 24 (the keyframe), 25, 26
    near, _ = _picture_at(mp4_keyed, 1.1, FPS, 640, slack=0.2)
    assert ImageChops.difference(exact, near).getbbox() is not None


def test_a_far_keyframe_does_not_move_the_poster(mp4_silent: Path) -> None:
    # One keyframe, at 0 s, as generated clips have: the middle is decoded forward
    # to, not replaced by the first frame.
    middle, pictures = _picture_at(mp4_silent, 1.0, FPS, 640, slack=0.2)
    assert pictures == 25  # frames 0 (the keyframe) to 24
    first, pictures = _picture_at(mp4_silent, 0.0, FPS, 640, slack=0.2)
    assert pictures == 1
    assert ImageChops.difference(middle, first).getbbox() is not None


def test_poster_of_a_clip_with_keyframes_uses_the_one_before(
    tmp_path: Path, mp4_keyed: Path
) -> None:
    middle = poster(mp4_keyed, tmp_path / "middle.jpg")  # 1.0 s: a keyframe
    first = poster(mp4_keyed, tmp_path / "first.jpg", at=0.0)
    with Image.open(middle) as a, Image.open(first) as b:
        assert a.size == (WIDTH, HEIGHT)
        assert ImageChops.difference(a, b).getbbox() is not None


# -- save_stream --------------------------------------------------------------


def test_save_stream_writes_the_exact_bytes(tmp_path: Path, mp4_audio: Path) -> None:
    data = mp4_audio.read_bytes()
    dest = tmp_path / "media" / "ltx-0001-abc.mp4"  # parent folder created on demand
    out = asyncio.run(save_stream(chunked(data), dest, expected_size=len(data)))
    assert out == dest
    assert dest.read_bytes() == data
    assert leftovers(dest.parent) == [dest.name]


def test_save_stream_without_a_size_still_verifies(tmp_path: Path, mp4_silent: Path) -> None:
    data = mp4_silent.read_bytes()
    dest = tmp_path / "v.mp4"
    asyncio.run(save_stream(chunked(data, 1000), dest, expected_size=None))
    assert probe(dest).width == WIDTH


def test_save_stream_renames_only_at_the_end(tmp_path: Path, mp4_silent: Path) -> None:
    data = mp4_silent.read_bytes()
    dest = tmp_path / "v.mp4"
    seen: list[tuple[bool, bool]] = []

    async def watched() -> AsyncIterator[bytes]:
        async for chunk in chunked(data):
            yield chunk
            seen.append((dest.exists(), any(dest.parent.glob("*.part"))))

    asyncio.run(save_stream(watched(), dest, expected_size=len(data)))
    assert seen and all(state == (False, True) for state in seen)
    assert dest.exists() and not any(dest.parent.glob("*.part"))


@pytest.mark.parametrize("delta", [+1, +5000, -1, -5000], ids=["short1", "short", "long1", "long"])
def test_save_stream_refuses_a_wrong_length(tmp_path: Path, mp4_audio: Path, delta: int) -> None:
    # delta > 0: the server announced more than it sent (short); < 0: it sent more.
    data = mp4_audio.read_bytes()
    dest = tmp_path / "v.mp4"
    expected = len(data) + delta
    word = "incomplete" if delta > 0 else "longer"
    with pytest.raises(MediaError, match=word):
        asyncio.run(save_stream(chunked(data), dest, expected_size=expected))
    assert leftovers(tmp_path) == []


def test_save_stream_refuses_a_non_video(tmp_path: Path) -> None:
    body = b'{"error": "Request abc not found"}' * 100
    dest = tmp_path / "v.mp4"
    with pytest.raises(MediaError, match="not a readable video"):
        asyncio.run(save_stream(chunked(body), dest, expected_size=len(body)))
    assert leftovers(tmp_path) == []


def test_save_stream_refuses_a_truncated_video_of_unknown_size(
    tmp_path: Path, mp4_audio: Path
) -> None:
    data = mp4_audio.read_bytes()[:-3000]
    with pytest.raises(MediaError):
        asyncio.run(save_stream(chunked(data), tmp_path / "v.mp4", expected_size=None))
    assert leftovers(tmp_path) == []


def test_save_stream_cleans_up_when_the_stream_breaks(tmp_path: Path, mp4_audio: Path) -> None:
    data = mp4_audio.read_bytes()

    async def broken() -> AsyncIterator[bytes]:
        yield data[:5000]
        raise ConnectionResetError("peer went away")

    with pytest.raises(ConnectionResetError):
        asyncio.run(save_stream(broken(), tmp_path / "v.mp4", expected_size=len(data)))
    assert leftovers(tmp_path) == []


def test_save_stream_cleans_up_when_cancelled(tmp_path: Path, mp4_audio: Path) -> None:
    data = mp4_audio.read_bytes()

    async def slow() -> AsyncIterator[bytes]:
        yield data[:5000]
        await asyncio.sleep(60)
        yield data[5000:]

    async def main() -> None:
        task = asyncio.create_task(save_stream(slow(), tmp_path / "v.mp4", expected_size=None))
        await asyncio.sleep(0.05)
        assert any(tmp_path.glob("v.*.part"))
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert leftovers(tmp_path) == []


def test_save_stream_replaces_an_older_copy(tmp_path: Path, mp4_audio: Path) -> None:
    dest = tmp_path / "v.mp4"
    dest.write_bytes(b"stale")
    data = mp4_audio.read_bytes()
    asyncio.run(save_stream(chunked(data), dest, expected_size=len(data)))
    assert dest.read_bytes() == data


# -- names and embedding ------------------------------------------------------


def test_media_path_is_readable_stable_and_unique(tmp_path: Path) -> None:
    path = media_path(tmp_path, 42, "1a2b3c4d-5e6f-7a8b-9c0d-ef1234567890")
    assert path == tmp_path / "ltx-0042-1a2b3c4d.mp4"
    assert media_path(tmp_path, 42, "1a2b3c4d-5e6f-7a8b-9c0d-ef1234567890") == path
    names: Iterable[Path] = {media_path(tmp_path, i, "same-request") for i in range(1, 50)}
    assert len(set(names)) == 49


def test_media_path_survives_odd_or_missing_request_ids(tmp_path: Path) -> None:
    assert media_path(tmp_path, 7, None).name == "ltx-0007.mp4"
    odd = media_path(tmp_path, 7, "../../etc/passwd")
    assert odd.parent == tmp_path
    assert odd.name == "ltx-0007-etcpassw.mp4"
    assert media_path(tmp_path, 123456, "abc").name == "ltx-123456-abc.mp4"


def test_data_uri_embeds_under_the_cap(mp4_silent: Path) -> None:
    size = mp4_silent.stat().st_size
    uri = data_uri(mp4_silent, max_bytes=size)
    assert uri is not None and uri.startswith("data:video/mp4;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == mp4_silent.read_bytes()
    assert data_uri(mp4_silent, max_bytes=size - 1) is None
    assert data_uri(mp4_silent, max_bytes=None) == uri  # no cap: embedding was asked for


def test_data_uri_of_a_poster_is_a_jpeg(tmp_path: Path, mp4_silent: Path) -> None:
    jpg = poster(mp4_silent, tmp_path / "p.jpg")
    uri = data_uri(jpg, max_bytes=1_000_000)
    assert uri is not None and uri.startswith("data:image/jpeg;base64,")
