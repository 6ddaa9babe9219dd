"""The gallery's review tools without a browser: params, prompt variants, and a bounded payload.

The 1,000-clip store is the four real clips' rows copied (one transaction), so every tile
points at a real video and poster on disk.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path

import pytest

from ltx_notebook._storage.store import Store
from ltx_notebook._view.clip_facts import DIFF_PROMPTS_MAX, param_diff, prompt_parts, tile_params
from ltx_notebook.widgets._gallery import STATIC_TILES_MAX, gallery
from tests.harness.clips import Clips

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def test_prompt_variants_mark_the_words_that_differ():
    parts = prompt_parts(
        [
            "a red fox running through fresh snow at dawn",
            "a red fox running through fresh snow at dawn",
            "a red fox walking through deep snow at dawn",
        ]
    )
    common = parts["a red fox running through fresh snow at dawn"]
    variant = parts["a red fox walking through deep snow at dawn"]
    assert [t for t, d in common if d] == ["running ", "fresh "]
    assert [t for t, d in variant if d] == ["walking ", "deep "]
    assert "".join(t for t, _ in variant) == "a red fox walking through deep snow at dawn"
    assert prompt_parts(["only one"]) == {"only one": [("only one", False)]}
    many = prompt_parts(f"prompt {i}" for i in range(DIFF_PROMPTS_MAX + 1))
    assert all(runs == [(p, False)] for p, runs in many.items())


def test_params_come_from_the_stored_payload(clips: Clips):
    a, b = clips.jobs[0].record, clips.jobs[3].record
    params = tile_params(a)
    assert list(params)[:1] == ["model"] and "prompt" not in params
    assert params["duration"] == "6s" and params["resolution"] == "1080p"
    assert params["generate_audio"] in {"audio", "no audio"}
    diff, same = param_diff(a, b)
    assert [r[0] for r in diff] == ["prompt", "duration", "resolution", "result"][: len(diff)]
    assert ("model", "ltx-2-pro", "ltx-2-pro") in same


def test_tiles_carry_what_the_view_filters_and_sorts_by(clips: Clips, in_root: Path):
    g = gallery(clips.jobs, row="resolution", col="duration")
    assert set(g.params) == {"duration", "resolution"}  # what varies; the model does not
    for tile in g.tiles:
        assert tile["params"]["model"] == "ltx-2-pro"
        assert "".join(t for t, _ in tile["prompt_parts"]) == tile["prompt"]
        assert any(d for _, d in tile["prompt_parts"])  # two prompt variants: both marked
        assert tile["fps"] > 0
    assert g._self_id == g.model_id and g.min_tile == 220
    assert gallery(clips.jobs, min_tile=320).min_tile == 320


@pytest.fixture(scope="module")
def thousand(clips: Clips, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of 1,000 finished clips (copies of the four real rows, each its own prompt)."""
    path = tmp_path_factory.mktemp("thousand") / "jobs.sqlite"
    Store(path)  # the schema
    source = sqlite3.connect(clips.session.store.path)
    source.row_factory = sqlite3.Row
    rows = [dict(r) for r in source.execute("SELECT * FROM jobs ORDER BY id")]
    source.close()
    names = [n for n in rows[0] if n != "id"]
    with sqlite3.connect(path) as conn:
        conn.executemany(
            f"INSERT INTO jobs ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            [
                [
                    f"{row['prompt']}, take {i}"
                    if n == "prompt"
                    else f"req-{i:05d}"
                    if n == "request_id"
                    else row[n]
                    for n in names
                ]
                for i, row in ((i, rows[i % len(rows)]) for i in range(1000))
            ],
        )
    return path


def test_a_thousand_clips_are_one_query_and_a_bounded_page(
    thousand: Path, in_root: Path, monkeypatch: pytest.MonkeyPatch
):
    store = Store(thousand)
    ids = [r.id for r in store.find()]
    assert len(ids) == 1000
    selects: list[str] = []
    real = Store._select

    def counting(self: Store, sql: str, args: object = ()) -> object:
        selects.append(sql)
        return real(self, sql, args)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "_select", counting)
    from ltx_notebook._view.grid import collect

    _, records = collect(ids, session=type("S", (), {"store": store})())  # type: ignore[arg-type]
    assert len(records) == 1000 and len(selects) == 1, selects
    g = gallery(ids, row=None, col=None, session=type("S", (), {"store": store})())  # type: ignore[arg-type]
    assert len(g.tiles) == 1000
    data, _ = g._repr_mimebundle_()
    page = data["text/html"]
    assert len(page.encode()) < 2_000_000, len(page)
    assert page.count("<video") == STATIC_TILES_MAX and "and 760 more clips" in page
    inlined = page.count("data:image/jpeg;base64,")  # posters inlined only under a budget
    assert 0 < inlined < STATIC_TILES_MAX, inlined
    tiles = len(json.dumps(g.tiles).encode())
    assert tiles < 2_000_000, tiles  # paths, not bytes: the view loads what scrolls in
    assert not any(str(t["src"]).startswith("data:") for t in g.tiles)
    assert WIDGET_MIME in data


def test_several_models_get_a_row_each_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from ltx_notebook import validate

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LTX_NOTEBOOK_FRONTEND", "jupyter")
    store = Store(tmp_path / "jobs.sqlite")
    ids = [
        store.create(
            validate(model, prompt="a kite", duration=d), cost_estimate=None, base_url=None
        ).id
        for model in ("ltx-2-pro", "ltx-2-fast")
        for d in (6, 8)
    ]
    session = type("S", (), {"store": store})()
    g = gallery(ids, session=session)  # type: ignore[arg-type]
    assert (g.row_param, g.col_param) == ("model", "duration")
    assert g.rows == ["ltx-2-pro", "ltx-2-fast"] and "model" in g.params
    assert all(
        "ltx-2-fast" in t["heading"] for t in g.tiles if t["params"]["model"] == "ltx-2-fast"
    )
    chosen = gallery(ids, row="resolution", col=None, session=session)  # type: ignore[arg-type]
    assert chosen.row_param == "resolution"
    one = gallery(ids[:2], session=session)  # type: ignore[arg-type]
    assert one.row_param == "resolution"


def test_the_tiles_and_the_tables_label_one_payload_alike(clips: Clips):
    # One rule for "which params differ" and how a value reads: the gallery's tiles, the
    # A/B table and the history table name an image by its file and clip at one length.
    from ltx_notebook._view.differ import param_text

    a = clips.jobs[0].record
    long_note = "a note " * 30
    url = "https://cdn.example.com/uploads/" + "d" * 150 + "/first-frame.png"
    body = {**a.payload, "image": url, "note": long_note}
    b = dataclasses.replace(a, params_json=json.dumps(body))
    params = tile_params(b)
    assert params["image"] == "first-frame.png" == param_text("image", url)
    assert params["note"] == param_text("note", long_note) and len(params["note"]) <= 60
    diff, same = param_diff(a, b)
    assert ("image", "—", "first-frame.png") in diff
    assert [r[0] for r in same] == [n for n in tile_params(a) if n not in {"image", "note"}]
