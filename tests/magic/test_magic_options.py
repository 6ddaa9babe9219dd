"""Every ``%%ltx`` option and every UsageError, in a real (headless) kernel.

The kernel reaches the emulator over loopback through ``SEGMIND_BASE_URL``;
what the service saw is read from the emulator's own job table and request
log, never from the client's word.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
from PIL import Image

from ltx_notebook.emulator import Emulator
from tests.harness.kernel import Kernel, assert_no_key, assert_one_usage_error

pytestmark = pytest.mark.kernel

VERBATIM = "a {name} costs $5, \"quoted\" and 'single' # not a comment"


def request_id(kernel: Kernel, name: str) -> str:
    return kernel.ok(f"print({name}.request_id)").stdout.strip()


def video_src(html: str) -> str:
    match = re.search(r'<video[^>]*\ssrc="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


# -- options -----------------------------------------------------------------------


def test_dry_run_shows_the_exact_json_and_cost_and_sends_nothing(
    kernel: Kernel, module_emulator: Emulator
) -> None:
    before = module_emulator.engine.count()
    run = kernel.ok(
        "%%ltx --dry-run -d 8 -r 2k --no-audio -m ltx-2-fast\na lighthouse at dusk, $5 {x}"
    )
    assert module_emulator.engine.count() == before
    out = run.stdout
    assert "nothing sent" in out
    assert f"POST {module_emulator.base_url.removesuffix('/v1')}/v2/ltx-2-fast" in out
    body = out[out.index("{") : out.rindex("}") + 1]
    assert body == (
        "{\n"
        '  "prompt": "a lighthouse at dusk, $5 {x}",\n'
        '  "duration": 8,\n'
        '  "resolution": "2k",\n'
        '  "generate_audio": false\n'
        "}"
    )
    assert "$0.80" in out  # ltx-2-fast 2k: $0.10/s x 8 s

    run = kernel.ok("%%ltx --dry-run --audio --resolution 4k --duration 10\nfox")
    assert '"generate_audio": true' in run.stdout and '"resolution": "4k"' in run.stdout
    assert "$2.40" in run.stdout
    assert module_emulator.engine.count() == before


def test_a_real_submit_sends_each_option_and_keeps_the_prompt_verbatim(
    kernel: Kernel, module_emulator: Emulator, root: Path
) -> None:
    run = kernel.ok(
        "%%ltx -d 8 -r 2k --no-audio -m ltx-2-fast -o job --tag nightly --embed never\n"
        f"  {VERBATIM}  \n"
    )
    rid = request_id(kernel, "job")
    sent = module_emulator.engine.jobs[rid]
    assert sent.model == "ltx-2-fast"
    assert sent.params["prompt"] == VERBATIM  # stripped, nothing expanded
    assert (sent.params["duration"], sent.params["resolution"]) == (8, "2k")
    assert sent.params["generate_audio"] is False

    # -o: the Job is in the namespace, done (headless waits), and the cell still displays.
    out = kernel.ok("print(type(job).__name__, job.status.value, job.video_path.is_file())")
    assert out.stdout.split() == ["Job", "COMPLETED", "True"]
    final = [h for h in run.html() if "<video" in h]
    assert final, run.text()[-2000:]
    src = video_src(final[-1])
    assert not src.startswith("data:") and (root / src).is_file()  # --embed never: relative

    # --tag is recorded in history().
    out = kernel.ok(
        "frame = %ltx history\nprint(frame.loc[frame.request_id == job.request_id, 'tag'].item())"
    )
    assert out.stdout.strip() == "nightly"


def test_vars_fills_names_from_the_namespace_only_when_asked(kernel: Kernel) -> None:
    run = kernel.ok("animal = 'otter'\n")
    run = kernel.ok("%%ltx --vars --dry-run\na {animal} for $5 # really")
    assert '"prompt": "a otter for $5 # really"' in run.stdout
    run = kernel.ok("%%ltx --dry-run\na {animal} for $5 # really")
    assert '"prompt": "a {animal} for $5 # really"' in run.stdout


def test_image_url_is_sent_as_given(kernel: Kernel, module_emulator: Emulator) -> None:
    uploads = module_emulator.engine.count("upload")
    kernel.ok("%%ltx -i https://example.com/cat.png -o url_job\na cat walks")
    rid = request_id(kernel, "url_job")
    assert module_emulator.engine.jobs[rid].params["image"] == "https://example.com/cat.png"
    assert module_emulator.engine.count("upload") == uploads


def test_a_local_image_is_uploaded_first_and_its_url_sent(
    kernel: Kernel, module_emulator: Emulator, root: Path
) -> None:
    Image.new("RGB", (64, 36), (200, 40, 40)).save(root / "first-frame.png")
    uploads = module_emulator.engine.count("upload")
    kernel.ok("%%ltx --image first-frame.png -o img_job\na red curtain opens")
    rid = request_id(kernel, "img_job")
    assert module_emulator.engine.count("upload") == uploads + 1
    sent = module_emulator.engine.jobs[rid].params["image"]
    host = module_emulator.base_url.removesuffix("/v1")
    assert sent.startswith(f"{host}/assets/"), sent
    log = module_emulator.engine.log
    upload_at = max(i for i, e in enumerate(log) if e.kind == "upload")
    submit_at = next(i for i, e in enumerate(log) if e.kind == "submit" and e.request_id == rid)
    assert upload_at < submit_at


def test_no_wait_returns_before_the_job_ends_and_wait_blocks(kernel: Kernel) -> None:
    kernel.ok("%%ltx --no-wait -o later\na slow sunrise")
    out = kernel.ok("print(later.done)")
    assert out.stdout.strip() == "False"
    out = kernel.ok("later.wait(60); print(later.status.value)")
    assert out.stdout.strip() == "COMPLETED"

    kernel.ok("%%ltx --wait -o now\na fast sunset")
    out = kernel.ok("print(now.done, now.status.value)")
    assert out.stdout.split() == ["True", "COMPLETED"]


def test_timeout_ends_the_wait_not_the_job(kernel: Kernel) -> None:
    run = kernel.ok("%%ltx --timeout 0.05 -o slow\na glacier calving")
    assert "stopped waiting (still running after 0.05s)" in run.stdout
    assert "keeps running" in run.stdout
    out = kernel.ok("slow.wait(60); print(slow.status.value, slow.video_path.is_file())")
    assert out.stdout.split() == ["COMPLETED", "True"]


@pytest.mark.parametrize(
    ("mode", "expect"),
    [("always", "data:video/mp4;base64,"), ("never", "ltx_media/"), ("auto", "ltx_media/")],
)
def test_embed_modes(kernel: Kernel, mode: str, expect: str) -> None:
    run = kernel.ok(f"%%ltx --embed {mode}\na paper boat on a puddle")
    final = [h for h in run.html() if "<video" in h]
    assert final
    src = video_src(final[-1])
    assert src.startswith(expect), src[:80]  # auto: nbclient-like kernels serve files
    poster = re.search(r'poster="([^"]+)"', final[-1])
    assert poster
    if mode == "always":
        assert poster.group(1).startswith("data:image/")


# -- UsageErrors ------------------------------------------------------------------

USAGE_ERRORS = [
    ("%%ltx --bogus\nfox", "unrecognized arguments: --bogus"),
    ("%%ltx --duration 7\nfox", "duration must be one of 6, 8, 10 seconds (got 7)"),
    ("%%ltx -d six\nfox", "invalid int value"),
    ("%%ltx -r 8k\nfox", "resolution must be one of 1080p, 2k, 4k"),
    ("%%ltx -m ltx-9\nfox", "unknown model 'ltx-9'"),
    ("%%ltx\n   \n", "needs a prompt"),
    ("%%ltx -i no-such-image.png\nfox", "image file not found"),
    ("%%ltx -o 1st\nfox", "-o/--out needs a Python variable name (got '1st')"),
    ("%%ltx -o class\nfox", "-o/--out needs a Python variable name"),
    ("%%ltx --embed sometimes\nfox", "invalid choice: 'sometimes'"),
    ("%%ltx --timeout -1\nfox", "--timeout must be a positive number of seconds"),
    ("%%ltx --timeout 0\nfox", "--timeout must be a positive number of seconds"),
    ("%%ltx --vars\na {nowhere}", "no variable named 'nowhere'"),
    ("%ltx", "%ltx needs a command"),
    ("%ltx frobnicate", "invalid choice: 'frobnicate'"),
    ("%ltx show", "usage: %ltx show ID"),
    ("%ltx history now", "usage: %ltx history"),
    ("%ltx emulator restart", "usage: %ltx emulator start"),
    ("%ltx show 9999", "no job 9999"),
]


@pytest.mark.parametrize(("code", "message"), USAGE_ERRORS, ids=[c for c, _ in USAGE_ERRORS])
def test_usage_errors_are_one_line_and_send_nothing(
    kernel: Kernel, module_emulator: Emulator, code: str, message: str
) -> None:
    assert_one_usage_error(kernel, module_emulator, code, message)


def test_config_refuses_a_bad_default_and_accepts_a_good_one(kernel: Kernel) -> None:
    run = kernel.run("%config LtxMagics.duration = 7")
    assert "LtxMagics.duration must be one of 4, 5, 6, 8, 10 seconds (got 7)" in run.stderr
    assert '"duration": 6' in kernel.ok("%%ltx --dry-run\nfox").stdout  # unchanged

    kernel.ok("%config LtxMagics.duration = 10")
    kernel.ok("%config LtxMagics.resolution = '2k'")
    kernel.ok("%config LtxMagics.audio = False")
    out = kernel.ok("%%ltx --dry-run\nfox").stdout
    assert '"duration": 10' in out and '"resolution": "2k"' in out
    assert '"generate_audio": false' in out
    assert '"duration": 8' in kernel.ok("%%ltx --dry-run -d 8\nfox").stdout  # option wins
    for name, value in [("duration", "None"), ("resolution", "None"), ("audio", "True")]:
        kernel.ok(f"%config LtxMagics.{name} = {value}")
    assert (
        "LtxMagics.timeout must be a positive"
        in kernel.run("%config LtxMagics.timeout = -1").stderr
    )
    assert "LtxMagics.model must be one of" in kernel.run("%config LtxMagics.model = 'x'").stderr


def test_help_lists_every_option_and_subcommand(kernel: Kernel) -> None:
    from ltx_notebook._magic.magics import LINE_COMMANDS, LtxMagics

    page = kernel.ok("%%ltx?").page
    assert "%%ltx [-d SECONDS]" in page  # the usage line names the magic as typed
    for action in LtxMagics.ltx_cell.parser._actions:
        # Each model's own options are hidden here: %ltx models SLUG lists them.
        if action.help == argparse.SUPPRESS:
            continue
        for option in action.option_strings:
            assert option in page, option
    assert "%ltx models" in page
    assert "verbatim" in page
    page = kernel.ok("%ltx?").page
    for command in LINE_COMMANDS:
        assert f"%ltx {command}" in page, command


def test_the_api_key_never_reaches_the_front_end(kernel: Kernel) -> None:
    kernel.ok("%ltx config")
    assert_no_key(kernel)
