"""Settings: environment defaults, configure(), and a key that never shows itself."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import pytest

import ltx_notebook
from ltx_notebook._core import config as _config
from ltx_notebook._core.config import Secret, Settings, history_url, upload_url, v2_base


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(_config, "_settings", None)
    yield


def test_v2_is_derived_as_the_sdk_does() -> None:
    assert v2_base("https://api.segmind.com/v1") == "https://api.segmind.com/v2"
    assert v2_base("http://127.0.0.1:8000/v1/") == "http://127.0.0.1:8000/v2"
    assert v2_base("https://proxy.example/segmind") == "https://proxy.example/segmind/v2"


def test_uploads_go_to_segmind_storage_or_the_same_host() -> None:
    assert upload_url("https://api.segmind.com/v1").startswith("https://workflows-api.segmind.com")
    assert upload_url("http://127.0.0.1:9/v1") == "http://127.0.0.1:9/upload-asset"


def test_history_is_segmind_s_own_host_or_the_same_origin() -> None:
    spot = "https://api.spotprod.segmind.com/inference-request"
    assert history_url("https://api.segmind.com/v1") == spot
    assert history_url("http://127.0.0.1:9/v1") == "http://127.0.0.1:9/inference-request"
    assert history_url("https://proxy.example/segmind/v1") == (
        "https://proxy.example/inference-request"
    )
    # A look-alike host is someone else's, not Segmind's.
    assert history_url("https://notsegmind.com/v1") == "https://notsegmind.com/inference-request"
    assert Settings(base_url="http://127.0.0.1:9/v1").history_url == (
        "http://127.0.0.1:9/inference-request"
    )


def test_history_url_is_a_setting_the_environment_and_configure_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SEGMIND_HISTORY_URL", "https://records.example/ir/")
    s = ltx_notebook.get_settings()
    assert s.history_url == "https://records.example/ir"
    assert s.describe()["history_url"] == "https://records.example/ir"
    ltx_notebook.configure(history_url="http://127.0.0.1:5/inference-request")
    assert ltx_notebook.get_settings().history_url == "http://127.0.0.1:5/inference-request"
    # An empty value goes back to the derived URL, which follows the base URL.
    ltx_notebook.configure(history_url="", base_url="http://127.0.0.1:7/v1")
    assert ltx_notebook.get_settings().history_url == "http://127.0.0.1:7/inference-request"


def test_match_grace_is_a_setting_the_environment_and_configure_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert ltx_notebook.get_settings().match_grace == 300.0
    monkeypatch.setattr(_config, "_settings", None)
    monkeypatch.setenv("LTX_NOTEBOOK_MATCH_GRACE", "600")
    assert ltx_notebook.get_settings().match_grace == 600.0
    assert ltx_notebook.configure(match_grace=0).match_grace == 0
    for bad in (-1, float("nan"), float("inf"), "5", True):
        with pytest.raises(ltx_notebook.InvalidParams, match="match_grace"):
            ltx_notebook.configure(match_grace=bad)  # type: ignore[arg-type]
    monkeypatch.setattr(_config, "_settings", None)
    monkeypatch.setenv("LTX_NOTEBOOK_MATCH_GRACE", "soon")
    with pytest.raises(ltx_notebook.InvalidParams, match="LTX_NOTEBOOK_MATCH_GRACE"):
        ltx_notebook.get_settings()


def test_match_settle_and_the_video_cap_are_settings_the_environment_and_configure_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = ltx_notebook.get_settings()
    assert settings.match_settle == 60.0 and settings.max_video_bytes == 2 * 1024**3
    monkeypatch.setattr(_config, "_settings", None)
    monkeypatch.setenv("LTX_NOTEBOOK_MATCH_SETTLE", "120")
    monkeypatch.setenv("LTX_NOTEBOOK_MAX_VIDEO_BYTES", "5e8")
    settings = ltx_notebook.get_settings()
    assert settings.match_settle == 120.0 and settings.max_video_bytes == 500_000_000
    assert ltx_notebook.configure(max_video_bytes=1000).max_video_bytes == 1000
    assert ltx_notebook.configure(match_settle=0).match_settle == 0
    for bad in (0, -1, 1.5, "many", True, float("nan")):
        with pytest.raises(ltx_notebook.InvalidParams, match="max_video_bytes"):
            ltx_notebook.configure(max_video_bytes=bad)  # type: ignore[arg-type]
    with pytest.raises(ltx_notebook.InvalidParams, match="match_settle"):
        ltx_notebook.configure(match_settle=-1)


def test_playback_is_a_setting_the_environment_and_configure_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert ltx_notebook.get_settings().playback == "auto"
    assert ltx_notebook.get_settings().describe()["playback"] == "auto"
    monkeypatch.setattr(_config, "_settings", None)
    monkeypatch.setenv("LTX_NOTEBOOK_PLAYBACK", " MP3-Audio ")
    assert ltx_notebook.get_settings().playback == "mp3-audio"
    assert ltx_notebook.configure(playback="original").playback == "original"
    assert ltx_notebook.configure(max_video_bytes=10**6).playback == "original"  # kept
    for bad in ("opus", "aac", 3):
        with pytest.raises(ltx_notebook.InvalidParams, match="auto, original, mp3-audio"):
            ltx_notebook.configure(playback=bad)  # type: ignore[arg-type]
    with pytest.raises(ltx_notebook.InvalidParams, match="playback"):
        Settings(playback="vscode")
    monkeypatch.setattr(_config, "_settings", None)
    monkeypatch.setenv("LTX_NOTEBOOK_PLAYBACK", "loud")
    with pytest.raises(ltx_notebook.InvalidParams, match="LTX_NOTEBOOK_PLAYBACK"):
        ltx_notebook.get_settings()


def test_environment_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SEGMIND_API_KEY", "sk-env-key-123456")
    monkeypatch.setenv("SEGMIND_BASE_URL", "http://127.0.0.1:1234/v1/")
    monkeypatch.setenv("LTX_NOTEBOOK_MEDIA_DIR", str(tmp_path / "m"))
    s = ltx_notebook.get_settings()
    assert s.api_key is not None and s.api_key.get() == "sk-env-key-123456"
    assert s.base_url == "http://127.0.0.1:1234/v1"
    assert s.store_path == tmp_path / "m" / "ltx-jobs.sqlite"


def test_configure_changes_only_what_it_is_given(tmp_path: Path) -> None:
    ltx_notebook.configure(base_url="https://a/v1", api_key="sk-first-key-0000")
    ltx_notebook.configure(media_dir=tmp_path)
    s = ltx_notebook.get_settings()
    assert s.base_url == "https://a/v1" and s.api_key.get() == "sk-first-key-0000"
    assert s.media_dir == tmp_path and s.store_path == tmp_path / "ltx-jobs.sqlite"
    ltx_notebook.configure(store_path=tmp_path / "elsewhere.sqlite")
    assert ltx_notebook.get_settings().media_dir == tmp_path


@pytest.mark.parametrize(
    ("given", "means"),
    [
        ("jobs.sqlite", Path("jobs.sqlite")),
        ("~/ltx/jobs.sqlite", Path("~/ltx/jobs.sqlite")),
        ("sqlite:///rel/jobs.sqlite", Path("rel/jobs.sqlite")),
        ("sqlite:////abs/jobs.sqlite", Path("/abs/jobs.sqlite")),
        ("sqlite+pysqlite:////abs/my%20jobs.sqlite", Path("/abs/my jobs.sqlite")),
        ("postgresql+psycopg://ltx@db.lab:5432/ltx", "postgresql+psycopg://ltx@db.lab:5432/ltx"),
        ("postgresql://ltx@db/ltx?sslmode=require", "postgresql://ltx@db/ltx?sslmode=require"),
    ],
)
def test_the_store_is_a_path_or_a_database_url(
    given: str, means: Path | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A plain path keeps meaning the SQLite file it always meant; a URL stays text.
    assert ltx_notebook.configure(store_path=given).store_path == means
    monkeypatch.setattr(_config, "_settings", None)
    monkeypatch.setenv("LTX_NOTEBOOK_STORE", given)
    assert ltx_notebook.get_settings().store_path == means


def test_a_sqlite_url_must_name_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    for bad in ("sqlite://", "sqlite:///"):
        with pytest.raises(ltx_notebook.InvalidParams, match="names no file"):
            ltx_notebook.configure(store_path=bad)
    monkeypatch.setattr(_config, "_settings", None)
    monkeypatch.setenv("LTX_NOTEBOOK_STORE", "sqlite://")
    with pytest.raises(ltx_notebook.InvalidParams, match="LTX_NOTEBOOK_STORE"):
        ltx_notebook.get_settings()


def test_a_store_urls_password_is_never_shown() -> None:
    s = ltx_notebook.configure(store_path="postgresql+psycopg://ltx:s3cret-pw@db/ltx")
    assert s.describe()["store_path"] == "postgresql+psycopg://ltx:***@db/ltx"
    assert "s3cret-pw" not in str(s.describe())
    assert ltx_notebook.LtxError("cannot reach db: s3cret-pw").args[0] == "cannot reach db: ***"


def test_the_key_never_shows_itself() -> None:
    key = "sk-secret-abcdef123456"
    s = Settings(api_key=Secret(key))
    for text in (repr(s), str(s), repr(s.api_key), str(s.describe()), f"{s.api_key}"):
        assert key not in text
    with pytest.raises(TypeError):
        pickle.dumps(s.api_key)
    assert ltx_notebook.LtxError(f"boom {key}").args[0] == "boom ***"


@pytest.mark.parametrize(
    "url",
    [
        "http://api.example.com/v1",
        "http://10.0.0.5:8000/v1",
        "HTTP://Proxy.Internal/segmind",
    ],
)
def test_a_plain_http_base_url_off_this_machine_warns(url: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ltx_notebook.configure(base_url=url, api_key="sk-test-0123456789")
    said = [w for w in caught if "https://" in str(w.message)]
    assert said, "configure() took a plain-http URL to another machine without a word"
    (warning,) = said
    assert issubclass(warning.category, ltx_notebook.InsecureURLWarning)
    assert warning.filename == __file__  # it points at the caller's line, not ours


def test_the_warning_also_comes_from_the_environment_and_never_echoes_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SEGMIND_API_KEY", "sk-env-key-123456")
    monkeypatch.setenv("SEGMIND_BASE_URL", "http://user:hunter2@proxy.example:8080/v1")
    with pytest.warns(UserWarning, match="proxy.example:8080") as caught:
        ltx_notebook.get_settings()
    assert "hunter2" not in str(caught[0].message) and "user" not in str(caught[0].message)


def test_no_key_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Settings(base_url="http://api.example.com/v1")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/v1",
        "http://127.5.6.7/v1",
        "http://localhost:9/v1",
        "http://emu.localhost:9/v1",
        "http://[::1]:8000/v1",
        "http://0.0.0.0:8000/v1",
        "https://api.segmind.com/v1",
        "https://10.0.0.5/v1",
    ],
)
def test_https_and_loopback_http_are_silent(url: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ltx_notebook.configure(base_url=url, api_key="sk-test-0123456789")
        Settings(api_key=Secret("sk-test-0123456789"), base_url=url)
