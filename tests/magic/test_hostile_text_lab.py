"""Hostile text never runs: markup in every field a job carries, shown in JupyterLab and a report.

A prompt, a tag, a note, the service's FAILED reason, a request id and an
output URL each carry a ``<script>``, an ``<img onerror>`` and a
``javascript:`` link. The reason, the request id and the output URL come from
the emulator's fault knobs, as a hostile or broken service would send them.
They are drawn by the live panel, the final cell, the gallery and the
exported report (opened from disk, as a reviewer would). Nothing may run:
no dialog, no flag set on the window, no element of the payload in the DOM;
and every payload must still be there as text, so the test is not passing
because a field was dropped. A control cell shows that markup in trusted
output does run here, so the silence means something.

(test_magic_lab.py checks that a prompt's ``<b>`` shows as text in a FAILED
cell; this test is about execution, in every view.)
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness.lab import Lab, LabServer

pytestmark = pytest.mark.browser

JOB_TIMEOUT_MS = 90_000
NB_DIR = "hostile"


def payload(field: str) -> str:
    """Markup that, parsed as HTML or followed as a link, shows a dialog and flags *field*."""
    flag = f"(window.__ltxPwned = (window.__ltxPwned || []).concat('{field}'))"
    return (
        f"<script>{flag};alert('{field}')</script>"
        f'<img src=x class=ltx-pwn onerror="{flag};alert(1)">'
        f'<a class=ltx-pwn href="javascript:{flag}">{field}</a>'
    )


PROMPT = "a lighthouse at dusk " + payload("prompt")
FAIL_PROMPT = "a harbour at night " + payload("prompt2")
TAG = "<script>alert('tag')</script><img src=x class=ltx-pwn onerror=alert('tag')>"
NOTE = payload("note")
REASON = "blocked: " + payload("reason")
# No "/" in an id: the service routes it in a URL path (…/requests/{id}/status), so a
# closing tag would make a job no route can reach, polled on for its hour.
_RID_FLAG = "(window.__ltxPwned = (window.__ltxPwned || []).concat('rid'))"
REQUEST_ID = (
    f'req-<img src=x class=ltx-pwn onerror="{_RID_FLAG};alert(1)">'
    f'<svg class=ltx-pwn onload="{_RID_FLAG}">'
)
OUTPUT_URL = "javascript:window.__ltxPwned=['output'];alert('output')"
TITLE = "review " + payload("title")

CONTROL = (
    "from IPython.display import HTML\n"
    "HTML('<img src=x class=ltx-control onerror=\"window.__ltxControl = 1\">')"
)
PANELS = (
    "from ipywidgets import VBox\n"
    "from ltx_notebook.widgets import JobPanel\n"
    "VBox([JobPanel(j) for j in (j1, j2, j3, j4)])"
)
GALLERY = "import ltx_notebook\nltx_notebook.gallery(ltx_notebook.history(), row=None, col=None)"
REPORT = (
    "import ltx_notebook\n"
    f"print(ltx_notebook.export_report(ltx_notebook.history(), 'report.html', title={TITLE!r})"
    ".resolve())"
)


def _ltx(out: str, prompt: str, options: str = "") -> str:
    return f"%%ltx -d 6 -o {out} {options}\n{prompt}"


CELLS = [
    "%load_ext ltx_notebook",
    CONTROL,
    _ltx("j1", PROMPT, f'--tag "{TAG}"'),
    _ltx("j2", FAIL_PROMPT),
    _ltx("j3", "a red fox in the snow"),
    _ltx("j4", "a heron in a misty river"),
    PANELS,
    GALLERY,
    REPORT,
]


def _watch(page: Any) -> list[str]:
    """Every dialog the page opens (and dismisses)."""
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return dialogs


def _wait_final(lab: Lab, i: int) -> Any:
    """The cell's final plain HTML (video or placeholder), the panel gone."""
    out = lab.cell_output(i)
    out.locator("video, .ltx-placeholder").first.wait_for(state="attached", timeout=JOB_TIMEOUT_MS)
    out.locator(".ltx-panel").wait_for(state="detached", timeout=10_000)
    return out


def _shown(where: Any) -> str:
    """What a reader sees of *where*: its text and its tooltips (long prompts are cut short)."""
    titles = where.locator("[title]").evaluate_all("(es) => es.map((e) => e.title)")
    return where.inner_text() + "\n" + "\n".join(titles)


def _assert_nothing_ran(page: Any, dialogs: list[str], where: Any) -> None:
    assert dialogs == [], dialogs
    assert page.evaluate("() => window.__ltxPwned || null") is None
    assert where.locator(".ltx-pwn").count() == 0
    assert (
        where.locator("script").evaluate_all(
            "(ss) => ss.filter((s) => s.textContent.includes('__ltxPwned')).length"
        )
        == 0
    )


def test_hostile_text_runs_nowhere(lab: Lab, jupyter_lab: LabServer, lab_emulator: Any) -> None:
    engine = lab_emulator.engine
    dialogs = _watch(lab.page)
    jupyter_lab.write_notebook(f"{NB_DIR}/hostile.ipynb", CELLS)
    lab.open_notebook(f"{NB_DIR}/hostile.ipynb")
    try:
        lab.run_cell(0)
        lab.run_cell(1)
        lab.page.wait_for_function("() => window.__ltxControl === 1", timeout=10_000)

        # The live panel, while the job runs: the prompt shown as text.
        lab.run_cell(2)
        panel = lab.cell_output(2).locator(".ltx-panel")
        panel.wait_for(state="visible", timeout=20_000)
        assert PROMPT in _shown(panel)
        _assert_nothing_ran(lab.page, dialogs, lab.notebook)
        done = _wait_final(lab, 2)
        assert done.locator("video").get_attribute("title") == PROMPT

        # The service's FAILED reason.
        engine.inject("status", 422, body={"status": "FAILED", "error": REASON})
        lab.run_cell(3)
        assert REASON in _wait_final(lab, 3).inner_text()

        # A request id the service made up. A 404 within the hour is not final (the job may
        # exist), so the service is made to end it: FAILED, its placeholder naming the id.
        engine.inject("submit", 200, body={"request_id": REQUEST_ID, "status": "QUEUED"})
        engine.inject("status", 422, body={"status": "FAILED", "error": "no such job"})
        lab.run_cell(4)
        assert REQUEST_ID in _wait_final(lab, 4).inner_text()

        # An output URL that is a script: never fetched, never linked.
        engine.inject("status", 200, body={"status": "COMPLETED"})
        engine.inject("result", 200, body={"status": "COMPLETED", "output": OUTPUT_URL})
        lab.run_cell(5)
        assert "not been downloaded" in _wait_final(lab, 5).inner_text()
    finally:
        engine.clear_faults()
    _assert_nothing_ran(lab.page, dialogs, lab.notebook)

    # Every job in a panel of its own, finished: prompt, request id, reason, error.
    lab.run_cell(6)
    panels = lab.cell_output(6).locator(".ltx-panel")
    panels.nth(3).wait_for(state="visible")
    text = _shown(lab.cell_output(6))
    for shown in (PROMPT, FAIL_PROMPT, REASON, REQUEST_ID):
        assert shown in text, shown
    _assert_nothing_ran(lab.page, dialogs, lab.notebook)

    # The gallery, and a note typed into it.
    lab.run_cell(7)
    gallery = lab.cell_output(7).locator(".ltx-gallery")
    gallery.wait_for(state="visible")
    assert gallery.locator(".ltx-tile").count() == 4
    shown = _shown(gallery)
    for text in (PROMPT, FAIL_PROMPT, REASON, REQUEST_ID):
        assert text in shown, text
    note = gallery.locator(".ltx-tile").first.locator(".ltx-note")
    note.fill(NOTE)
    note.press("Tab")
    gallery.locator(".ltx-message").filter(has_text="note saved").wait_for()
    _assert_nothing_ran(lab.page, dialogs, lab.notebook)

    # The report, opened from disk: its own script runs (play-all), the payloads do not.
    lab.run_cell(8)
    report = lab.cell_output(8).inner_text().strip()
    assert report.endswith("report.html"), report
    page = lab.page.context.new_page()
    report_dialogs = _watch(page)
    page.goto(f"file://{report}")
    page.locator(".ltx-sync button").wait_for()  # report.js ran
    body = page.locator("body")
    for text in (PROMPT, FAIL_PROMPT, REASON, REQUEST_ID, NOTE, TITLE):
        assert text in body.inner_text() + page.title(), text
    _assert_nothing_ran(page, report_dialogs, body)
    page.close()
    assert lab.external_requests == []
