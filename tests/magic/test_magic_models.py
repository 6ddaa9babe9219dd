"""The magic follows the model catalog, in a real (headless) kernel on the emulator.

Each model's own options, the one-line refusal of an option a model does not
take, ``--param``, cross-model sweeps and ``%ltx models``. What the service
received is read from the emulator's job table, never from the client's word.
"""

from __future__ import annotations

import pytest

from ltx_notebook.emulator import Emulator
from tests.harness.kernel import Kernel, assert_one_usage_error

pytestmark = pytest.mark.kernel


def new_jobs(emulator: Emulator, before: int) -> list:
    return list(emulator.engine.jobs.values())[before:]


def test_a_19b_cell_sends_its_own_options_and_history_shows_the_seed(
    kernel: Kernel, module_emulator: Emulator
) -> None:
    before = len(module_emulator.engine.jobs)
    kernel.ok(
        "%%ltx -m ltx-2-19b-t2v --seed 7 --fps 24 --num-frames 25 --width 512 -o j\n"
        "a paper lantern drifting up",
        timeout=120,
    )
    (sent,) = new_jobs(module_emulator, before)
    assert sent.model == "ltx-2-19b-t2v"
    assert (sent.params["seed"], sent.params["fps"], sent.params["num_frames"]) == (7, 24, 25)
    assert sent.params["width"] == 512 and sent.params["height"] == 768
    out = kernel.ok(
        "import ltx_notebook as ltx\n"
        "row = ltx.history().loc[j.id]\n"
        "print(row['seed'], row['param_num_frames'], row['resolution'], j.record.video_width)"
    ).stdout.split()
    assert out == ["7", "25", "512x768", "52"]  # 512 px at the suite's render scale 0.1


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "-m ltx-2-pro --seed 7",
            "ltx-2-pro does not take --seed; it takes: -d/--duration, -r/--resolution, "
            "--audio/--no-audio, -i/--image",
        ),
        ("-m ltx-2-19b-t2v -d 6", "ltx-2-19b-t2v does not take -d/--duration; it takes:"),
        ("-m ltx-2-19b-t2v --fps 60", "fps must be a whole number from 1 to 30 (got 60)"),
        ("-m veo-3-fast --num-frames 9", "veo-3-fast does not take --num-frames"),
        ("-m kling-1.6-text2video -i https://x.test/a.png", "kling-1.6-text2video takes no image"),
        ("-m kling-1.6-text2video --mode pro", "mode must be one of std (got 'pro')"),
        ("-m seedance-v1-lite-image-to-video", "image_url is required"),
        ("-m ltx-2-pro --param oops", "--param takes NAME=VALUE"),
        ("-m ltx-2-pro --param duration=6", "'duration' is a known parameter of ltx-2-pro"),
    ],
)
def test_an_option_the_model_does_not_take_is_one_line(
    kernel: Kernel, module_emulator: Emulator, line: str, message: str
) -> None:
    assert_one_usage_error(kernel, module_emulator, f"%%ltx {line}\na fox", message)


def test_param_passes_what_the_catalog_does_not_know(
    kernel: Kernel, module_emulator: Emulator
) -> None:
    before = len(module_emulator.engine.jobs)
    out = kernel.ok(
        '%%ltx -m seedance-pro --param skip_moderation="false" --dry-run\na koi pond'
    ).stdout
    assert '"skip_moderation": "false"' in out
    assert 'unchecked (not in the catalog, sent as given): skip_moderation="false"' in out
    assert "expected output: 1280x720, 5 s, no audio" in out
    assert len(module_emulator.engine.jobs) == before
    kernel.ok('%%ltx -m seedance-pro --param skip_moderation="false" -o s\na koi pond', timeout=120)
    (sent,) = new_jobs(module_emulator, before)
    assert sent.params["skip_moderation"] == "false"
    assert kernel.ok("print(s.record.params.extras)").stdout.strip() == (
        "{'skip_moderation': 'false'}"
    )


def test_a_cross_model_sweep_names_the_invalid_combinations_and_sends_nothing(
    kernel: Kernel, module_emulator: Emulator
) -> None:
    before = module_emulator.engine.count("submit")
    run = kernel.run(
        "%%ltx --sweep model=ltx-2-pro,veo-3-fast --sweep duration=6,10\na red fox in snow"
    )
    assert run.status == "error" and run.reply is not None
    assert run.reply["content"]["ename"] == "UsageError"
    assert "1 of 4 combinations are invalid" in run.stderr
    assert "model='veo-3-fast', duration=10" in run.stderr and "--yes" in run.stderr
    dry = kernel.ok(
        "%%ltx --dry-run --sweep model=ltx-2-pro,veo-3-fast --sweep duration=6,10\na red fox"
    )
    assert "3 jobs (dry run, nothing sent)" in dry.text()
    assert "not sent, invalid for veo-3-fast: combination 4 of 4" in dry.stdout
    assert module_emulator.engine.count("submit") == before


def test_config_defaults_apply_where_the_model_takes_them(
    kernel: Kernel, module_emulator: Emulator
) -> None:
    kernel.ok("%config LtxMagics.duration = 8")
    try:
        assert '"duration": 8' in kernel.ok("%%ltx -m veo-3-fast --dry-run\nx").stdout
        assert "duration" not in kernel.ok("%%ltx -m ltx-2-19b-t2v --dry-run\nx").stdout
    finally:
        kernel.ok("%config LtxMagics.duration = None")


def test_models_lists_the_catalog_and_help_stays_readable(kernel: Kernel) -> None:
    out = kernel.ok("%ltx models").stdout
    for slug in ("ltx-2-pro", "ltx-2-19b-t2v", "veo-3-fast", "kling-1.6-text2video"):
        assert slug in out
    assert "~$0.416 a generation" in out and "~101 s" in out
    one = kernel.ok("%ltx models ltx-2-19b-t2v").stdout
    for option in ("--num-frames", "--seed", "--guidance-scale", "1–400", "161"):
        assert option in one
    page = " ".join(kernel.ok("%%ltx?").page.split())
    assert "%ltx models SLUG one model's options" in page and "--param" in page
    assert "--guidance-scale" not in page  # the model options live behind the pointer
