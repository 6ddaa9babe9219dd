"""The exceptions ltx-notebook raises, caught by meaning.

    LtxError
    ├── InvalidParams (also ValueError)   bad input (or API key), raised before any request is sent
    ├── ApiError                          the service answered with an error status
    │   ├── BadRequest                    400: the service refused the parameters
    │   ├── AuthenticationError           401, 403: missing, wrong or unauthorised key
    │   ├── NotFound                      404: unknown model, or a request id unknown or expired
    │   ├── InsufficientCredits           406: not enough credits (or a spend limit)
    │   ├── RateLimited                   429, still refused after the retries
    │   └── ServiceError                  5xx, still failing after the retries
    ├── TransportError                    no answer: connection refused, reset, timed out
    │   └── SubmitUnknown                 a submit was sent and then the connection failed:
    │                                     the job may or may not exist (and be billed)
    ├── JobFailed                         the job ended FAILED (raised only when asked for a
    │                                     result that does not exist; ``Job.wait`` never raises it)
    ├── MediaError                        a download was short, corrupt or unreadable
    ├── StoreError                        the job store cannot be read or written (damaged,
    │                                     locked by another process, read-only, disk full);
    │                                     raised before a submit is sent, so nothing is billed
    ├── BudgetExceeded                    a submit or sweep would pass the budget, or a sweep
    │                                     the account's credits: refused before anything is sent
    └── WaitTimeout (also TimeoutError)   ``Job.wait(timeout=...)`` ran out; the job goes on

    InsecureURLWarning (a UserWarning)    the key would go to another machine over plain http

Every message is one line that says what happened and what to do. None of them
ever holds the API key: messages are built from status codes, the service's
reason and request ids only, and :func:`redact` scrubs anything read off the wire.
"""

from __future__ import annotations

from pathlib import Path

# redact and register_secret live with the rest of the key's hygiene; importing
# them here also installs the log filter wherever an error can be raised.
from .secrets import redact, register_secret

__all__ = [
    "ApiError",
    "AuthenticationError",
    "BadRequest",
    "BudgetExceeded",
    "InsecureURLWarning",
    "InsufficientCredits",
    "InvalidParams",
    "JobFailed",
    "LtxError",
    "MediaError",
    "NotFound",
    "NotSubmitted",
    "RateLimited",
    "ServiceError",
    "StoreError",
    "SubmitUnknown",
    "TransportError",
    "WaitTimeout",
    "redact",
    "register_secret",
]


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(redact(str(text)).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class LtxError(Exception):
    """Base class of every error ltx-notebook raises."""

    def __init__(self, message: str) -> None:
        super().__init__(_one_line(message))

    def __str__(self) -> str:
        # Again when shown: a key registered after this message was built is scrubbed too.
        return redact(super().__str__())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class InvalidParams(LtxError, ValueError):
    """The parameters are not valid for the model, or a setting (the API key) is unusable.

    Nothing was sent. ``param`` names the parameter or setting.
    """

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class ApiError(LtxError):
    """The service answered with an error status.

    ``status_code`` is the HTTP status, ``detail`` the service's own reason (if
    it gave one) and ``request_id`` the job it concerns, when there is one.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        detail: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.detail = _one_line(detail) if detail else None
        self.request_id = request_id


class BadRequest(ApiError):
    """400: the service refused the parameters."""


class AuthenticationError(ApiError):
    """401 or 403: the API key is missing, wrong, or not allowed to do this."""


class NotFound(ApiError):
    """404: the model does not exist, or the request id is unknown or has expired."""


class InsufficientCredits(ApiError):
    """406: not enough credits for this job (or an account spend limit)."""


class RateLimited(ApiError):
    """429: too many requests, still refused after backing off."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status_code: int = 429,
        detail: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, detail=detail, request_id=request_id)
        self.retry_after = retry_after


class ServiceError(ApiError):
    """5xx: the service failed, and kept failing after the retries."""


class TransportError(LtxError):
    """The service could not be reached, or the connection broke before an answer."""


class SubmitUnknown(TransportError):
    """A submit was sent, then the connection failed before the answer came.

    The job may exist on the service and be billed, or not. It is not retried
    (there is no idempotency key, so a retry could bill twice). Look for it in
    your Segmind console or wait for ``ltx_notebook.history()`` to show it.
    """

    def __init__(
        self, message: str, *, job_id: int | None = None, request_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.job_id = job_id
        self.request_id = request_id


class JobFailed(LtxError):
    """The job ended FAILED; ``reason`` holds the service's explanation."""

    def __init__(self, message: str, *, request_id: str, reason: str | None) -> None:
        super().__init__(message)
        self.request_id = request_id
        self.reason = reason


class MediaError(LtxError):
    """A video could not be downloaded completely or read back."""


class StoreError(LtxError):
    """The job store cannot be read or written; ``path`` names it (a file, or a database URL).

    The message says why and what to do. A job is recorded before it is sent,
    so a store that cannot record it stops the submit: nothing is billed.
    """

    def __init__(self, message: str, *, path: Path | str) -> None:
        super().__init__(message)
        self.path = path


class BudgetExceeded(LtxError):
    """A submit or sweep was refused before anything was sent: it would pass a cap.

    ``cap`` says which: ``"budget"`` (``configure(budget=...)``, over ``period``)
    or ``"credits"`` (the account's balance, read before a sweep starts).
    ``limit`` is the cap in USD, ``charged`` what the service billed so far in
    the period, ``estimated`` the estimate of jobs not yet billed (in flight),
    ``requested`` the estimate of what was refused.
    """

    def __init__(
        self,
        message: str,
        *,
        cap: str,
        limit: float,
        charged: float,
        estimated: float,
        requested: float,
        period: str | None = None,
    ) -> None:
        super().__init__(message)
        self.cap = cap
        self.limit = limit
        self.charged = charged
        self.estimated = estimated
        self.requested = requested
        self.period = period


class WaitTimeout(LtxError, TimeoutError):
    """Waiting ran out before the job ended. The job itself keeps going."""

    def __init__(self, message: str, *, request_id: str | None) -> None:
        super().__init__(message)
        self.request_id = request_id


class NotSubmitted(LtxError, LookupError):
    """A sweep's combination that has no job and never will (refused, skipped, a dry run)."""


class InsecureURLWarning(UserWarning):
    """Plain ``http://`` to another machine: the key would cross the network unencrypted.

    Loopback http (the emulator) is silent. To refuse instead of warning:
    ``warnings.simplefilter("error", ltx_notebook.InsecureURLWarning)``.
    """
