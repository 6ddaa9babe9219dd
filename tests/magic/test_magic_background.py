"""Interactive front ends: the cell returns at once and the job finishes in the background.

The kernel has ``JPY_SESSION_NAME`` in its environment, as Jupyter Server sets
it for JupyterLab and Notebook 7, so it detects an interactive front end; and
the emulator runs slowly enough (a clip takes ~3-5 s) that returning early and
finishing late can be told apart.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from ltx_notebook._storage.store import Store
from ltx_notebook.emulator import Emulator
from tests.harness.kernel import Kernel, Message, assert_no_key

pytestmark = pytest.mark.kernel

WIDGET = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def slow_speed() -> float:
    return 18.0  # ltx-2-pro 6 s: ~4 s


@pytest.fixture(scope="module")
def slow_kernel_env() -> dict[str, str]:
    return {"JPY_SESSION_NAME": "video.ipynb"}


def store(root: Path) -> Store:
    return Store(root / "ltx_media" / "ltx-jobs.sqlite")


def panel_display(messages: list[Message]) -> Message:
    shown = [
        m for m in messages if m["msg_type"] == "display_data" and WIDGET in m["content"]["data"]
    ]
    assert len(shown) == 1, [m["msg_type"] for m in messages]
    return shown[0]


def final_updates(messages: list[Message], display_id: str) -> list[Message]:
    return [
        m
        for m in messages
        if m["msg_type"] == "update_display_data"
        and m["content"]["transient"].get("display_id") == display_id
        and "<video" in m["content"]["data"].get("text/html", "")
    ]


def test_the_kernel_knows_it_serves_jupyter(slow_kernel: Kernel) -> None:
    assert "jupyter" in slow_kernel.ok("%ltx config").stdout.split("front end", 1)[1].split()[0]


def test_the_cell_returns_at_once_and_the_video_lands_in_place_while_another_cell_sleeps(
    slow_kernel: Kernel, slow_emulator: Emulator, root: Path
) -> None:
    cell = slow_kernel.run("%%ltx -o bg\na red fox running through fresh snow")
    assert cell.status == "ok", cell.text()[-2000:]
    panel = panel_display(cell.own)
    display_id = panel["content"]["transient"]["display_id"]
    rid = list(slow_emulator.engine.jobs)[-1]  # the newest job the service knows
    # Returned before the job ended, on the service and in the store: "at once" is that
    # order of events, not a number of seconds.
    assert slow_emulator.engine.status_of(rid) in ("QUEUED", "PROCESSING")
    row = store(root).get_by_request_id(rid)
    assert row is not None and row.status != "COMPLETED"
    assert not final_updates(cell.messages, display_id)  # and its video is still to come

    # Another cell blocks the main thread; polling and download go on regardless.
    sleeper = slow_kernel.run("import time; time.sleep(9); print('slept')", timeout=60)
    assert sleeper.stdout.strip() == "slept"
    seen = cell.messages + sleeper.messages
    updates = final_updates(seen, display_id)
    if not updates:  # a slow machine: give the runtime a little longer
        seen += slow_kernel.drain(15)
        updates = final_updates(seen, display_id)
    assert updates, "no update_display_data with the video for the panel"
    # The widget itself never holds the player: its HTML gets no URL rewriting, so a
    # relative src there would be broken. It ends naming the saved file instead.
    widget_html = [json.dumps(m["content"]) for m in seen if m["msg_type"] == "comm_msg"]
    assert not [w for w in widget_html if "<video" in w]
    assert [w for w in widget_html if "Saved as" in w and f"%ltx show {rid}" in w]
    # Addressed to the %%ltx cell, not to whatever cell runs when the job ends.
    assert updates[-1]["parent_header"]["msg_id"] == cell.msg_id
    assert rid in updates[-1]["content"]["data"]["text/plain"]

    row = store(root).get_by_request_id(rid)
    assert row is not None and row.status == "COMPLETED"
    assert (root / row.video_path).is_file() and (root / row.poster_path).is_file()
    out = slow_kernel.ok("print(bg.status.value, bg.video_path.is_file())")
    assert out.stdout.split() == ["COMPLETED", "True"]


def test_ctrl_c_ends_the_wait_not_the_job(
    slow_kernel: Kernel, slow_emulator: Emulator, root: Path
) -> None:
    msg_id = slow_kernel.send("%%ltx --wait -o waited\na paper boat drifting on a puddle")
    # Interrupt once the panel is up, i.e. the cell is waiting on the job.
    shown = slow_kernel.collect(
        msg_id, timeout=30, until=lambda run: any(m["msg_type"] == "display_data" for m in run.own)
    )
    panel_display(shown.own)
    rid = list(slow_emulator.engine.jobs)[-1]
    time.sleep(0.5)
    slow_kernel.interrupt()
    cell = slow_kernel.collect(msg_id, timeout=30)
    cell.messages[:0] = shown.messages
    assert cell.status == "ok", cell.text()[-2000:]
    assert "stopped waiting (interrupted)" in cell.stdout
    assert f"job {rid} keeps running" in cell.stdout
    assert slow_emulator.engine.status_of(rid) in ("QUEUED", "PROCESSING")

    out = slow_kernel.ok("waited.wait(60); print(waited.status.value)", timeout=90)
    assert out.stdout.strip() == "COMPLETED"
    row = store(root).get_by_request_id(rid)
    assert row is not None and row.status == "COMPLETED" and (root / row.video_path).is_file()
    assert store(root).count(request_id=rid) == 1


def test_the_api_key_never_reaches_the_front_end(slow_kernel: Kernel) -> None:
    slow_kernel.drain(0.5)
    assert_no_key(slow_kernel)
