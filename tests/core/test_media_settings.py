"""The media settings: a local folder or an fsspec URL, the cache, storage options kept secret."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import ltx_notebook
from ltx_notebook._core import config as _config
from ltx_notebook._core.config import Settings, StorageOptions, media_location
from ltx_notebook._core.errors import InvalidParams, MediaError


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_config, "_settings", None)


def test_a_path_is_a_local_folder_and_a_url_is_kept_as_text() -> None:
    assert media_location("ltx_media") == Path("ltx_media")
    assert media_location(Path("/data/videos")) == Path("/data/videos")
    assert media_location("file:///data/videos") == Path("/data/videos")
    assert media_location("s3://team-bucket/ltx/") == "s3://team-bucket/ltx"
    assert media_location("GS://bucket") == "gs://bucket"
    assert media_location("memory://videos") == "memory://videos"
    with pytest.raises(InvalidParams, match="names no bucket"):
        media_location("s3://")


def test_a_local_media_dir_is_both_canonical_and_what_plays() -> None:
    settings = ltx_notebook.configure(media_dir="somewhere")
    assert settings.media_url is None
    assert settings.local_media == Path("somewhere")
    assert settings.store_path == Path("somewhere/ltx-jobs.sqlite")
    assert settings.describe()["cache_dir"].startswith("(not used")


def test_a_bucket_plays_from_the_cache_and_the_store_moves_beside_it() -> None:
    settings = ltx_notebook.configure(
        media_dir="s3://team-bucket/ltx", cache_dir="my_cache", cache_max_gb=2.5
    )
    assert settings.media_url == "s3://team-bucket/ltx"
    assert settings.local_media == Path("my_cache")
    assert settings.store_path == Path("my_cache/ltx-jobs.sqlite")
    assert settings.cache_max_gb == 2.5
    shown = settings.describe()
    assert shown["media_dir"] == "s3://team-bucket/ltx"
    assert shown["cache_dir"] == "my_cache" and shown["cache_max_gb"] == "2.5 GB"


def test_the_environment_names_the_bucket_and_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LTX_NOTEBOOK_MEDIA_DIR", "gs://lab-videos/ltx")
    monkeypatch.setenv("LTX_NOTEBOOK_CACHE_DIR", "/scratch/ltx")
    monkeypatch.setenv("LTX_NOTEBOOK_CACHE_MAX_GB", "0.5")
    settings = Settings.from_env(read_key=False)
    assert settings.media_url == "gs://lab-videos/ltx"
    assert settings.cache_dir == Path("/scratch/ltx")
    assert settings.cache_max_gb == 0.5
    assert settings.store_path == Path("/scratch/ltx/ltx-jobs.sqlite")
    assert Settings.from_env(read_key=False) == settings


@pytest.mark.parametrize("bad", [0, -1, "lots", float("inf"), True])
def test_a_cache_cap_is_a_number_of_gigabytes_above_zero(bad: object) -> None:
    with pytest.raises(InvalidParams, match="cache_max_gb"):
        ltx_notebook.configure(cache_max_gb=bad)  # type: ignore[arg-type]


def test_storage_options_never_show_their_values() -> None:
    secret = "wJalrXUtnFEMI-example-secret-value"
    token = "sas-token-0123456789-example"
    settings = ltx_notebook.configure(
        media_dir="s3://team-bucket",
        storage_options={"secret": secret, "client_kwargs": {"session_token": token}},
    )
    options = settings.storage_options
    assert options["secret"] == secret  # what the storage library is handed
    for text in (repr(settings), str(settings.describe()), repr(options), str(options)):
        assert secret not in text and token not in text
    assert settings.describe()["storage_options"] == "client_kwargs, secret"
    # Any message that quotes one (a storage library's error) is redacted.
    assert secret not in str(MediaError(f"denied for {secret} and {token}"))
    with pytest.raises(TypeError):
        pickle.dumps(options)
    # Only credentials are scrubbed: a region or an endpoint stays readable in messages.
    ltx_notebook.configure(storage_options={"endpoint_url": "http://minio.lan:9000"})
    assert "minio.lan" in str(MediaError("cannot reach http://minio.lan:9000"))
    assert StorageOptions({"secret": secret}) == options.__class__({"secret": secret})


def test_credentials_in_a_media_url_are_not_shown() -> None:
    settings = ltx_notebook.configure(media_dir="s3://someone:hunter2-pass@bucket/ltx")
    assert "hunter2" not in settings.describe()["media_dir"]
    assert "hunter2" not in repr(settings)
