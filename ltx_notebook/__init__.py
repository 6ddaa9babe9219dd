"""Generate, sweep and review LTX-2 videos from Jupyter.

    import ltx_notebook as ltx
    job = ltx.generate("a lighthouse at dusk, waves crashing", duration=8)
    job.request_id          # known at once: keep it, it finds a paid result again
    job.wait()              # or `await job`; the video is then in job.video_path
    ltx.history()           # every job ever run here, as a DataFrame

In a notebook, ``%load_ext ltx_notebook`` adds the ``%%ltx`` cell magic.
With no ``SEGMIND_API_KEY``, ``ltx-notebook emulator`` serves a local stand-in
for the Segmind API (see docs/emulator.md).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ._config import Settings, configure, get_settings
from ._errors import (
    ApiError,
    AuthenticationError,
    BadRequest,
    InsufficientCredits,
    InvalidParams,
    JobFailed,
    LtxError,
    MediaError,
    NotFound,
    RateLimited,
    ServiceError,
    SubmitUnknown,
    TransportError,
    WaitTimeout,
)
from ._frame import compare
from ._frame import history_frame as _history_frame
from ._jobs import Job, Session
from ._jobs import default_session as _default_session
from ._params import MODELS, PRICES, Params, estimate_cost, validate
from ._report import export_report
from ._store import JobStatus
from ._sweep import ConfirmationRequired, Sweep, sweep
from .widgets import gallery

__version__ = "0.1.0"

__all__ = [
    "MODELS",
    "PRICES",
    "ApiError",
    "AuthenticationError",
    "BadRequest",
    "ConfirmationRequired",
    "InsufficientCredits",
    "InvalidParams",
    "Job",
    "JobFailed",
    "JobStatus",
    "LtxError",
    "MediaError",
    "NotFound",
    "Params",
    "RateLimited",
    "ServiceError",
    "Session",
    "Settings",
    "SubmitUnknown",
    "Sweep",
    "TransportError",
    "WaitTimeout",
    "__version__",
    "compare",
    "configure",
    "credits",
    "estimate_cost",
    "export_report",
    "gallery",
    "generate",
    "get_job",
    "get_settings",
    "history",
    "resume",
    "sweep",
    "validate",
]


def generate(
    prompt: str,
    *,
    duration: int | None = None,
    resolution: str | None = None,
    generate_audio: bool | None = None,
    image: str | None = None,
    model: str = "ltx-2-pro",
    tag: str | None = None,
) -> Job:
    """Validate, submit, and return the :class:`Job` once the service accepted it.

    Parameter, authentication and credit errors raise here, before anything is
    billed. The job then polls in the background; ``job.wait()`` (or ``await
    job``) blocks until it is done and its video is on disk.
    """
    params = validate(
        model,
        prompt=prompt,
        duration=duration,
        resolution=resolution,
        generate_audio=generate_audio,
        image=image,
    )
    return _default_session().submit(params, tag=tag)


def history(**filters: Any) -> pd.DataFrame:
    """Every recorded job as a DataFrame, newest first; ``history(status="FAILED")`` filters."""
    return _history_frame(_default_session().store, **filters)


def get_job(key: int | str) -> Job:
    """A past job by local id or request id, rebuilt from the store."""
    return _default_session().get(key)


def resume() -> list[Job]:
    """Re-attach to jobs left unfinished (after a kernel restart): they poll and download again."""
    return _default_session().resume()


def credits() -> dict[str, float]:
    """The account's credits, as the service reports them."""
    session = _default_session()

    async def read() -> dict[str, float]:
        reply = await session._get_client().credits()
        return {"credits": reply.credits, "free_credits": reply.free_credits}

    return session.runtime.call(read())


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext ltx_notebook``: register the ``%%ltx`` and ``%ltx`` magics."""
    from ._magics import LtxMagics

    configurables = getattr(ipython, "configurables", None)
    if configurables is not None:
        # %reload_ext must not leave a stale instance that %config would still update.
        configurables[:] = [c for c in configurables if type(c).__name__ != "LtxMagics"]
    magics = LtxMagics(shell=ipython)
    # IPython 9's Magics registers itself for %config; older versions did not (storemagic).
    if configurables is not None and magics not in configurables:
        configurables.append(magics)
    ipython.register_magics(magics)
