"""The copy VS Code plays with sound: H.264 as it was, audio as MP3, checked with PyAV."""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from ltx_notebook._core.errors import MediaError
from ltx_notebook._storage import playback
from tests.storage.media_videos import FPS, count_opens


def _streams(path: Path) -> dict[str, Any]:
    """What a player sees of *path*: codecs, the video's packets, durations, the sound's level."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0]
        facts = {
            "video": video.codec_context.name,
            "audio": audio.codec_context.name,
            "video_s": float(video.duration * video.time_base),
            "audio_s": float(audio.duration * audio.time_base),
            "rate": audio.codec_context.sample_rate,
            "channels": audio.codec_context.channels,
        }
        packets = [
            (p.size, p.pts, p.is_keyframe, bytes(p)) for p in container.demux(video) if p.size
        ]
    with av.open(str(path)) as container:
        audio = container.streams.audio[0]
        samples = np.concatenate([f.to_ndarray().ravel() for f in container.decode(audio)]).astype(
            np.float64
        )
    return {**facts, "packets": packets, "rms": float(np.sqrt(np.mean(samples**2)))}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def clip(tmp_path: Path, mp4_audio: Path) -> Path:
    """A clip with AAC sound, named as the store names them, alone in its folder."""
    return Path(shutil.copy(mp4_audio, tmp_path / "ltx-0042-1a2b3c4d.mp4"))


def test_the_copy_keeps_the_h264_stream_and_carries_mp3_audio(clip: Path) -> None:
    before = _sha(clip)
    original = _streams(clip)
    assert (original["video"], original["audio"]) == ("h264", "aac")

    copy = playback.mp3_audio_copy(clip)

    assert copy == clip.with_name("ltx-0042-1a2b3c4d.vscode.mp4") == playback.copy_path(clip)
    got = _streams(copy)
    assert got["video"] == "h264"
    assert got["audio"].startswith("mp3")  # FFmpeg's decoder is named mp3float
    with av.open(str(copy)) as container:
        assert container.format.name.split(",")[0] == "mov"  # an MP4 (the mov/mp4 demuxer)
        assert container.streams.audio[0].codec_context.codec.id == av.Codec("mp3", "r").id
    # Not re-encoded: the same packets, byte for byte, at the same times.
    assert len(got["packets"]) == len(original["packets"])
    assert got["packets"] == original["packets"]
    assert abs(got["video_s"] - original["video_s"]) < 1 / FPS
    assert abs(got["audio_s"] - original["audio_s"]) < 1 / FPS
    assert (got["rate"], got["channels"]) == (original["rate"], original["channels"])
    assert got["rms"] == pytest.approx(original["rms"], rel=0.1)  # the tone, still audible
    assert got["rms"] > 0.1
    assert _sha(clip) == before  # the original is only read
    assert sorted(p.name for p in clip.parent.iterdir()) == [clip.name, copy.name]  # no temp


def test_a_second_call_reuses_the_copy(clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opens = count_opens(monkeypatch)
    threads: list[str] = []
    real = av.open

    def noting(file: Any, *args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real(file, *args, **kwargs)

    monkeypatch.setattr(av, "open", noting)
    copy = playback.mp3_audio_copy(clip)
    assert threads and all(t.startswith("ltx-notebook-decoder") for t in threads)  # not here
    made = copy.stat().st_mtime_ns
    opened = len(opens)
    assert playback.mp3_audio_copy(clip) == copy
    assert len(opens) == opened  # found by its name: nothing opened
    assert copy.stat().st_mtime_ns == made
    assert playback.mp3_audio_copy(copy) == copy  # a copy is its own copy


def test_a_clip_without_sound_is_played_as_it_is(tmp_path: Path, mp4_silent: Path) -> None:
    silent = Path(shutil.copy(mp4_silent, tmp_path / "ltx-0007.mp4"))
    assert playback.mp3_audio_copy(silent) == silent
    assert [p.name for p in tmp_path.iterdir()] == ["ltx-0007.mp4"]


def test_a_corrupt_clip_is_a_one_line_media_error_and_stays_untouched(
    tmp_path: Path, mp4_audio: Path
) -> None:
    broken = tmp_path / "ltx-0009.mp4"
    broken.write_bytes(mp4_audio.read_bytes()[:3000])
    before = _sha(broken)
    with pytest.raises(MediaError) as caught:
        playback.mp3_audio_copy(broken)
    assert "\n" not in str(caught.value) and "ltx-0009.mp4" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert _sha(broken) == before
    assert [p.name for p in tmp_path.iterdir()] == ["ltx-0009.mp4"]  # no copy, no temp
    with pytest.raises(MediaError, match="not found"):
        playback.mp3_audio_copy(tmp_path / "gone.mp4")


def test_in_a_bucket_cache_the_copy_is_never_uploaded_and_goes_with_its_clip(
    tmp_path: Path, mp4_audio: Path
) -> None:
    import fsspec

    from ltx_notebook._storage.cache import MediaCache
    from ltx_notebook._storage.files import RemoteFiles

    root = f"memory://ltx-{os.getpid()}-{tmp_path.name}"
    files = RemoteFiles(root)
    names = ["ltx-0001-abc.mp4", "ltx-0002-abc.mp4"]
    for name in names:
        files.put(Path(shutil.copy(mp4_audio, tmp_path / name)), name)
    size = mp4_audio.stat().st_size
    cache = MediaCache(tmp_path / "cache", 10**9, files)
    first = cache.local(names[0])
    assert first is not None
    copy = playback.mp3_audio_copy(first)
    made = copy.stat().st_mtime_ns
    assert cache.pending() == []  # derived: not an upload to try again
    assert cache.local(names[0]) == first  # played again: the cache touches the clip...
    assert playback.mp3_audio_copy(first) == copy and copy.stat().st_mtime_ns == made  # ...kept
    # Room for one clip with its copy: the next clip evicts the first, copy and all.
    cache.max_bytes = size + copy.stat().st_size + size - 1
    os.utime(first, (0, 0))
    assert cache.local(names[1]) is not None
    assert not first.exists() and not copy.exists()
    memory = fsspec.filesystem("memory")
    assert sorted(p.rsplit("/", 1)[-1] for p in memory.ls(root, detail=False)) == names
    memory.rm(root, recursive=True)
