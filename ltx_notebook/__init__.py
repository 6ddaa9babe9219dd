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

import types as _types

from ._api import (
    adopt,
    arena,
    compare,
    compare_clips,
    credits,
    export_report,
    gallery,
    generate,
    get_job,
    history,
    import_history,
    rank,
    reconcile,
    resume,
    spend,
    sweep,
    votes,
)

# IPython looks the hook up by name; it is no part of __all__.
from ._api import load_ipython_extension as load_ipython_extension
from ._core.config import Settings, configure, get_settings
from ._core.errors import (
    ApiError,
    AuthenticationError,
    BadRequest,
    BudgetExceeded,
    InsecureURLWarning,
    InsufficientCredits,
    InvalidParams,
    JobFailed,
    LtxError,
    MediaError,
    NotFound,
    NotSubmitted,
    RateLimited,
    ServiceError,
    StoreError,
    SubmitUnknown,
    TransportError,
    WaitTimeout,
)
from ._core.params import MODELS, PRICES, Params, estimate_cost, validate
from ._core.status import JobStatus
from ._jobs.job import Job
from ._jobs.recovery.reconcile import Reconciliation
from ._jobs.session import Session
from ._jobs.sweeps.sweep import ConfirmationRequired, Sweep

__version__ = "0.1.0"

__all__ = [
    "MODELS",
    "PRICES",
    "ApiError",
    "AuthenticationError",
    "BadRequest",
    "BudgetExceeded",
    "ConfirmationRequired",
    "InsecureURLWarning",
    "InsufficientCredits",
    "InvalidParams",
    "Job",
    "JobFailed",
    "JobStatus",
    "LtxError",
    "MediaError",
    "NotFound",
    "NotSubmitted",
    "Params",
    "RateLimited",
    "Reconciliation",
    "ServiceError",
    "Session",
    "Settings",
    "StoreError",
    "SubmitUnknown",
    "Sweep",
    "TransportError",
    "WaitTimeout",
    "__version__",
    "adopt",
    "arena",
    "compare",
    "compare_clips",
    "configure",
    "credits",
    "estimate_cost",
    "export_report",
    "gallery",
    "generate",
    "get_job",
    "get_settings",
    "history",
    "import_history",
    "rank",
    "reconcile",
    "resume",
    "spend",
    "sweep",
    "validate",
    "votes",
]

# Reprs, tracebacks and the API page say ltx_notebook.Job, not where Job is defined (as httpx
# does). Each name is an attribute here, so pickle finds it by the name it then reports.
for _name in [*__all__, "load_ipython_extension"]:
    _public = globals()[_name]
    if isinstance(_public, type | _types.FunctionType):
        _public.__module__ = __name__
del _name, _public
