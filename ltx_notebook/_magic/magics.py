"""``%%ltx`` and ``%ltx``: the notebook face of ltx-notebook.

Parsing is IPython's ``magic_arguments`` (so ``%%ltx?`` shows every option
and a bad option is a one-line ``UsageError``), defaults are traitlets
(``%config LtxMagics.duration = 8``), and every check runs before anything is
sent: a ``UsageError`` never costs credits.
"""

from __future__ import annotations

import argparse
import json
import keyword
from collections.abc import Callable
from typing import Any, TypeVar

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import display

from .._core.errors import InvalidParams, LtxError
from .._core.params import Params, check_timeout, with_defaults
from .._core.params import validate as validate_params
from .._jobs.job import Job
from .._jobs.money.costs import learn_or_list
from .._jobs.reuse import reuse_line, reuse_scope, same_job
from .._jobs.session import Session
from .._jobs.sweeps.sweep import (
    SWEEP_CONCURRENCY,
    SWEEP_MAX_CONCURRENCY,
    ConfirmationRequired,
    sweep,
)
from .._view import frontend as _frontend
from .._view.cell import Embed, job_html, job_text, sweep_html
from . import (  # noqa: F401  (they register their commands)
    job_commands,
    model_commands,
    money_commands,
    recovery_commands,
    setup_commands,
)
from .cell import fill_vars, parse_grid, read_line, split_prompts
from .commands import COMMANDS, dispatch, line_doc
from .emulator import EMULATOR_USAGE, InKernelEmulator
from .job_commands import show_again
from .live import follow, follow_sweep
from .model_options import catalog_options, extra_params, given_values, taken_values
from .traits import EMBED_MODES, LtxTraits

__all__ = ["LtxMagics"]

# Kept for the tests and for readers: the commands, in the order %ltx? lists them.
LINE_COMMANDS = tuple(COMMANDS)
F = TypeVar("F", bound=Callable[..., Any])


def _usage(exc: Exception) -> UsageError:
    return UsageError(str(exc))


def _doc(text: str) -> Callable[[F], F]:
    # The docstring is built from the command registry; magic_arguments reads it for %ltx?.
    def put(func: F) -> F:
        func.__doc__ = text
        return func

    return put


@magics_class
class LtxMagics(Magics, LtxTraits):
    """Generate LTX-2 videos from a cell: the options on the magic line, the prompt below.

    Every default (see :class:`~.traits.LtxTraits`) can be changed with
    ``%config LtxMagics.<name> = value``.
    """

    def __init__(self, shell: Any = None, session: Session | None = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        # The extension hands in the package's default session; one made here directly
        # (a test, an embedding application) gets a session of its own.
        self.session = session or Session()
        self._emulator = InKernelEmulator()

    @property
    def _user_ns(self) -> dict[str, Any]:
        # Magics are only ever called from a shell; one made without is a programming error.
        assert self.shell is not None, "LtxMagics needs an IPython shell"
        ns: dict[str, Any] = self.shell.user_ns
        return ns

    # -- %%ltx -----------------------------------------------------------------------
    # magic_arguments prefixes one "%" itself: "%ltx" shows as %%ltx in the usage line.
    @magic_arguments(name="%ltx")
    @argument(
        "-d",
        "--duration",
        type=int,
        metavar="SECONDS",
        help="Video length in seconds, as the model allows (default: LtxMagics.duration, "
        "else the model's).",
    )
    @argument(
        "-r",
        "--resolution",
        metavar="RES",
        help="Resolution, as the model allows: 1080p, 2k, 4k for LTX-2 (default: "
        "LtxMagics.resolution, else the model's).",
    )
    @argument(
        "--audio",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Generate an audio track (default: on; see LtxMagics.audio).",
    )
    @argument(
        "-i",
        "--image",
        metavar="URL_OR_PATH",
        help="First frame: an http(s) URL, or a local image (uploaded before the submit).",
    )
    @argument(
        "-m",
        "--model",
        metavar="SLUG",
        help="Model (default: LtxMagics.model). Every model takes its own options "
        "(--seed, --fps...): %%ltx models lists the models, %%ltx models SLUG one model's "
        "options.",
    )
    @argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="Send a parameter the catalog does not know, unchecked (VALUE read as JSON if "
        "it is JSON); repeat for more.",
    )
    @argument("-o", "--out", metavar="NAME", help="Also store the Job in this variable.")
    @argument(
        "--wait",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Block the cell until the video is ready (default: see LtxMagics.wait).",
    )
    @argument("--timeout", type=float, metavar="SECONDS", help="Longest wait; the job goes on.")
    @argument("--tag", metavar="TEXT", help="A label recorded in history().")
    @argument(
        "--again",
        action="store_true",
        help="Send a new job even if the same request (model, params, prompt, image) is "
        "already in the store, in flight or COMPLETED; without it the cell shows that job "
        "again and sends nothing (a sweep sends only what is missing). See LtxMagics.reuse.",
    )
    @argument(
        "--dry-run",
        action="store_true",
        help="Validate and show the exact JSON that would be sent, and its estimated cost; "
        "send nothing.",
    )
    @argument("--embed", choices=EMBED_MODES, help="Inline the video bytes: auto, always, never.")
    @argument(
        "--vars",
        action="store_true",
        help="Fill {name} in the prompt from the notebook's variables (off by default: "
        "the prompt is taken verbatim).",
    )
    @argument(
        "--sweep",
        action="append",
        metavar="NAME=V1,V2",
        help="Run a grid: each --sweep names a parameter and its values (repeat it for "
        "more). Several prompts in the body, separated by lines holding only ---, are "
        "swept too.",
    )
    @argument("--zip", action="store_true", help="Pair the --sweep lists instead of crossing them.")
    @argument(
        "--yes",
        action="store_true",
        help="Run a sweep above the confirmation threshold (8 jobs or $5 estimated).",
    )
    @argument(
        "--concurrency",
        type=int,
        metavar="N",
        help=f"Sweep jobs running at once (default {SWEEP_CONCURRENCY}).",
    )
    @catalog_options
    @no_var_expand
    @cell_magic("ltx")  # type: ignore[arg-type]  # IPython types it for plain functions only
    def ltx_cell(self, line: str, cell: str) -> None:
        """Generate a video from the prompt in the cell body.

        The body, stripped, is the prompt, taken verbatim ($, braces, quotes and #
        are text) unless --vars is given. In JupyterLab, Notebook, VS Code and Colab
        the cell returns at once and a panel follows the job; run headless (nbclient,
        nbconvert, papermill) or in terminal IPython, the cell waits for the video.
        Ctrl-C or --timeout ends the wait, never the job. Defaults come from
        %config LtxMagics.<name>; see docs/magic.md.
        """
        args = read_line(self.ltx_cell, line)
        if args.out is not None and (not args.out.isidentifier() or keyword.iskeyword(args.out)):
            raise UsageError(f"-o/--out needs a Python variable name (got {args.out!r})")
        try:
            check_timeout(args.timeout, "--timeout", optional=False)
        except InvalidParams as exc:
            raise _usage(exc) from None
        if args.sweep or args.zip or args.concurrency is not None or len(split_prompts(cell)) > 1:
            self._run_sweep(args, cell)
            return
        params = self._params_from(args, cell)
        guard = reuse_scope(self.reuse) is not None and not args.again
        if args.dry_run:
            self._show_dry_run(params, guard=guard)
            return
        found = self._same_job(params) if guard else None
        if found is not None:
            print(reuse_line(found, user=self.session.settings.user))
            if args.out:
                self._user_ns[args.out] = found
            if found.done:
                show_again(self, found, self._final_html(args.embed))
            else:
                self._present(found, wait=args.wait, timeout=args.timeout, embed=args.embed)
            return
        try:
            job = self.session.submit(params, tag=args.tag)
        except LtxError as exc:
            raise UsageError(f"{type(exc).__name__}: {exc}") from None
        if args.out:
            self._user_ns[args.out] = job
        self._present(job, wait=args.wait, timeout=args.timeout, embed=args.embed)

    def _run_sweep(self, args: argparse.Namespace, cell: str) -> None:
        prompts = split_prompts(cell)
        if not prompts:
            raise UsageError("%%ltx needs a prompt: write it in the cell body, below the magic")
        if args.vars:
            prompts = [fill_vars(prompt, self._user_ns) for prompt in prompts]
        if args.embed is not None:
            raise UsageError("--embed applies to one job; a sweep shows its videos by path")
        if args.concurrency is not None and not 1 <= args.concurrency <= SWEEP_MAX_CONCURRENCY:
            raise UsageError(
                f"--concurrency must be a whole number from 1 to {SWEEP_MAX_CONCURRENCY} "
                f"(got {args.concurrency})"
            )
        # Options and %config defaults hold for every job; --sweep values override them.
        try:
            swept = parse_grid(args.sweep or [])
        except InvalidParams as exc:
            raise _usage(exc) from None
        model = args.model or self.model
        models = [str(m) for m in swept.get("model", [model])]
        given = given_values(args)
        if len(set(models)) > 1:
            # Across models each option applies where taken; the plan checks each is taken.
            fixed = {**given, **({"image": args.image} if args.image is not None else {})}
        else:
            fixed = taken_values(models[0], given, args.image)
        fixed = with_defaults(models, fixed, self._defaults())
        try:
            grid = {**fixed, **swept}
            result = sweep(
                prompts,
                grid,
                zip=args.zip,
                concurrency=SWEEP_CONCURRENCY if args.concurrency is None else args.concurrency,
                model=model,
                tag=args.tag,
                yes=args.yes,
                dry_run=args.dry_run,
                session=self.session,
                reuse=False if args.again else self.reuse,
                extra=extra_params(args.param),
            )
        except ConfirmationRequired as exc:
            display(exc.plan)
            message = str(exc).replace("yes=True (%%ltx --yes)", "--yes")
            raise UsageError(message.replace("dry_run=True (--dry-run)", "--dry-run")) from None
        except LtxError as exc:
            message = str(exc) if isinstance(exc, InvalidParams) else f"{type(exc).__name__}: {exc}"
            raise UsageError(message) from None
        if args.out:
            self._user_ns[args.out] = result
        if result.reused:
            sent = "would be sent" if args.dry_run else "sent"
            print(
                f"{result.reused} of {result.size} combinations are the same request as jobs "
                f"in the store: shown again, nothing sent for them; {result.to_send} {sent}; "
                "--again sends them all"
            )
        if args.dry_run:
            display(result)
            for bad in result.refused:
                print(f"not sent, invalid for {bad.model}: {bad}")
            return
        frontend = _frontend.detect()
        follow_sweep(
            result,
            frontend=frontend,
            wait=frontend.waits(self.wait, args.wait),
            timeout=args.timeout if args.timeout is not None else self.timeout,
            final_html=sweep_html,
            shell=self.shell,
        )

    def _params_from(self, args: argparse.Namespace, cell: str) -> Params:
        prompt = cell.strip()
        if not prompt:
            raise UsageError("%%ltx needs a prompt: write it in the cell body, below the magic")
        if args.vars:
            prompt = fill_vars(prompt, self._user_ns)
        model = args.model or self.model
        values = with_defaults(
            [model], taken_values(model, given_values(args), args.image), self._defaults()
        )
        try:
            return validate_params(model, extra=extra_params(args.param), prompt=prompt, **values)
        except InvalidParams as exc:
            raise _usage(exc) from None

    def _same_job(self, params: Params) -> Job | None:
        # The store is read before anything is sent: its trouble is one line, as a submit's.
        try:
            return same_job(self.session, params, scope=reuse_scope(self.reuse) or "mine")
        except LtxError as exc:
            raise UsageError(f"{type(exc).__name__}: {exc}") from None

    def _defaults(self) -> dict[str, Any]:
        # %config defaults, by the catalog's param names; each applies where a model takes it.
        return {
            "duration": self.duration,
            "resolution": self.resolution,
            "generate_audio": self.audio,
        }

    def _show_dry_run(self, params: Params, *, guard: bool) -> None:
        spec = f"{self.session.settings.v2_url}/{params.model}"
        body = params.payload()
        note = ""
        if params.image_is_local:
            note = "\n(the local image is uploaded first; its URL replaces the path)"
        if params.extras:
            shown = ", ".join(f"{k}={json.dumps(v)}" for k, v in params.extras.items())
            note += f"\nunchecked (not in the catalog, sent as given): {shown}"
        try:
            found = self._same_job(params) if guard else None
        except UsageError as exc:  # an unclear submit of it: the run would stop there
            found = None
            note += f"\nrunning it now: {exc}"
        if found is not None:
            note += f"\nrunning it now: {reuse_line(found, user=self.session.settings.user)}"
        width, height = params.frame_size or (0, 0)
        audio = "audio" if params.generate_audio else "no audio"
        clip = f"{width}x{height}, {round(params.seconds, 2):g} s, {audio}"
        session = self.session
        prices = learn_or_list(lambda: session.store, base_url=session.settings.base_url)
        print(
            f"dry run: nothing sent.\nPOST {spec}\n{json.dumps(body, indent=2)}{note}\n"
            f"expected output: {clip} (per the catalog)\n"
            f"estimated cost: ~${prices.estimate(params):.2f} ({prices.basis(params)}; "
            "an estimate, not a quote)"
        )

    def _present(
        self, job: Job, *, wait: bool | None, timeout: float | None, embed: str | None
    ) -> None:
        frontend = _frontend.detect()
        follow(
            job,
            frontend=frontend,
            wait=frontend.waits(self.wait, wait),
            timeout=timeout if timeout is not None else self.timeout,
            final_html=self._final_html(embed),
            shell=self.shell,
        )

    def _final_html(self, embed: str | None) -> Callable[[Job], str]:
        mode = embed or self.embed
        cap = int(self.embed_cap_mb * 1024 * 1024)
        return lambda job: job_html(job.record, embed=Embed(mode), embed_cap=cap)

    # -- %ltx ------------------------------------------------------------------------
    @magic_arguments(name="ltx")
    @argument("command", choices=tuple(COMMANDS), metavar="COMMAND", help="what to do (see above)")
    @argument("args", nargs=argparse.REMAINDER, help="the command's arguments")
    @_doc(line_doc())
    @no_var_expand
    @line_magic("ltx")  # type: ignore[arg-type]  # IPython types it for plain functions only
    def ltx_line(self, line: str) -> Any:
        if not line.strip():
            raise UsageError("%ltx needs a command: " + ", ".join(COMMANDS) + " (see %ltx?)")
        args = read_line(self.ltx_line, line)
        return dispatch(self, args.command, args.args)

    # -- what the line commands may use (commands.Host) ---------------------------------
    def job(self, key: str) -> Job:
        # isdigit() alone takes "²", which int() refuses; a non-ASCII key is a request id.
        return self.session.get(int(key) if key.isascii() and key.isdigit() else key)

    def present(
        self, job: Job, *, wait: bool | None, timeout: float | None, embed: str | None
    ) -> None:
        self._present(job, wait=wait, timeout=timeout, embed=embed)

    def show_final(self, job: Job, final_html: Callable[[Job], str] | None = None) -> None:
        _show_final(job, final_html or self._final_html(None))

    def traits_in_force(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in sorted(self.trait_names(config=True))}

    def run_emulator(self, action: str, knobs: list[tuple[str, Any]]) -> None:
        if action == "start":
            self._emulator.start(knobs, model=self.model)
        elif action == "stop" and not knobs:
            self._emulator.stop()
        else:
            raise UsageError(f"usage: {EMULATOR_USAGE}")


def _show_final(job: Job, final_html: Callable[[Job], str]) -> None:
    display({"text/html": final_html(job), "text/plain": job_text(job.record)}, raw=True)
