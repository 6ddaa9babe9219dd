"""The emulated service's brain: admitting and charging runs, limits, renders, records.

The engine ties the other pieces together under one lock: the catalogue
prices a run, validation cleans it, the timeline plans it, faults and the
request log record what each request met. Nothing here does HTTP. Time comes
from an injected ``clock`` (seconds, any origin, never going back), so tests
can drive a job through its whole life without sleeping.
"""

from __future__ import annotations

import dataclasses
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._assets import EXTENSIONS, Asset, decode_data_url
from ._catalog import MODELS, ModelSpec
from ._config import Clock, EmulatorConfig
from ._faults import Fault, FaultQueue, LogEntry, check_injectable
from ._history import Entry, owner_of
from ._timeline import Job, planned_seconds
from ._validation import Refusal, SourceImage, check_submit, policy_block
from ._video import RenderResult, RenderSpec

# Models whose clips follow EmulatorConfig.fps (docs/emulator.md: --fps), as they always have.
_CONFIGURED_FPS = frozenset({"ltx-2-pro", "ltx-2-fast"})

__all__ = ["Engine", "Submitted"]


@dataclass(frozen=True)
class Submitted:
    job: Job


class Engine:
    """All state of one emulated service. Thread-safe; every public method is quick.

    *renderer* (anything with ``render(RenderSpec) -> RenderResult``) is called
    in a worker thread at submit; with ``config.render_workers == 0`` it runs
    inline, which keeps clock-driven tests deterministic.
    """

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        clock: Clock = time.monotonic,
        renderer: Any = None,
        assets_dir: Path | None = None,
    ) -> None:
        self.config = config or EmulatorConfig()
        self.clock = clock
        self.renderer = renderer
        self.assets_dir = assets_dir
        seed = self.config.seed
        # Separate streams, so adding a fault does not change every later job's timing.
        self._timing_rng = random.Random(seed)
        fault_rng = random.Random(None if seed is None else seed + 1)
        self._id_rng = random.Random(None if seed is None else seed + 2)
        # Mixed into every id handed out, so two emulators of one seed (two test runs
        # sharing a store, a history) never name two jobs alike; the seed fixes the rest.
        self._id_salt = uuid.uuid4().int
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {}
        self._media: dict[str, tuple[Path, float]] = {}
        self._assets: dict[str, Asset] = {}
        self._faults = FaultQueue(self.config.fail_rate, fault_rng)
        self._submits: deque[float] = deque()
        self._log: list[LogEntry] = []
        self._credits = float(self.config.credits)
        self._api_key = self.config.api_key
        self._closed = False
        # The request history: never expires, unlike the v2 records. Its stamps are
        # wall time, moved by the engine's clock from where it stood at the start.
        self._history: dict[str, Entry] = {}
        start = self.config.start_time
        self._wall_origin = (time.time() if start is None else start) - clock()
        workers = self.config.render_workers
        self._pool = (
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ltx-emulator-render")
            if workers > 0
            else None
        )

    # ------------------------------------------------------------------ inspection

    @property
    def credits(self) -> float:
        with self._lock:
            return round(self._credits, 4)

    def set_credits(self, value: float) -> None:
        with self._lock:
            self._credits = float(value)

    @property
    def jobs(self) -> dict[str, Job]:
        """Every job ever submitted (expired ones included), by request id; a snapshot."""
        with self._lock:
            return dict(self._jobs)

    @property
    def log(self) -> list[LogEntry]:
        """Every request so far, oldest first; a snapshot."""
        with self._lock:
            return list(self._log)

    def count(
        self,
        kind: str | None = None,
        *,
        status: int | None = None,
        model: str | None = None,
        method: str | None = None,
    ) -> int:
        """How many logged requests match every filter given."""
        with self._lock:
            return sum(
                1
                for e in self._log
                if (kind is None or e.kind == kind)
                and (status is None or e.status == status)
                and (model is None or e.model == model)
                and (method is None or e.method == method)
            )

    def status_of(self, request_id: str) -> str | None:
        """The job's state now, or None if unknown or expired."""
        with self._lock:
            job = self._live(request_id)
            return None if job is None else job.status(self.clock())

    def unfinished(self) -> int:
        with self._lock:
            now = self.clock()
            return sum(
                1 for j in self._jobs.values() if not self._expired(j, now) and not j.finished(now)
            )

    # ------------------------------------------------------------------ request log

    def record(
        self,
        method: str,
        path: str,
        kind: str,
        status: int,
        *,
        model: str | None = None,
        request_id: str | None = None,
        fault: str | None = None,
    ) -> None:
        with self._lock:
            self._log.append(
                LogEntry(self.clock(), method, path, kind, status, model, request_id, fault)
            )

    # ------------------------------------------------------------------ faults

    def inject(
        self,
        route: str = "*",
        status: int | None = None,
        *,
        times: int = 1,
        drop: bool = False,
        delay: float = 0.0,
        body: str | dict[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        model: str | None = None,
        keep: float = 0.5,
        handled: bool = False,
    ) -> Fault:
        """Queue a fault for the next *times* requests of kind *route* ("*" for any).

        Faults are consumed in the order injected. See :class:`Fault`.
        """
        check_injectable(
            route, status, times=times, drop=drop, delay=delay, keep=keep, handled=handled
        )
        fault = Fault(
            route,
            status,
            times,
            drop,
            delay,
            body,
            dict(headers or {}),
            model,
            keep=keep,
            handled=handled,
        )
        with self._lock:
            self._faults.add(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def take_fault(self, kind: str, model: str | None = None) -> Fault | None:
        """The fault this request gets, if any: a queued one first, else a --fail-rate roll."""
        with self._lock:
            return self._faults.take(kind, model)

    # ------------------------------------------------------------------ auth & credits

    def check_key(self, key: str | None) -> Refusal | None:
        if not key:
            return Refusal(401, "Unauthorized: missing API key (send it in the x-api-key header)")
        with self._lock:
            expected = self._api_key
        if expected is not None and key != expected:
            return Refusal(401, "Unauthorized: invalid API key")
        return None

    def set_api_key(self, key: str | None) -> None:
        """Accept *key* alone from now on (None: any): a key rotated in the console."""
        with self._lock:
            self._api_key = key

    # ------------------------------------------------------------------ submit

    def submit(
        self,
        model: str,
        body: Any,
        *,
        sync: bool = False,
        host_prefix: str | None = None,
        key: str | None = None,
    ) -> Submitted | Refusal:
        """Validate and admit one run; charge it. Refusals create no job and charge nothing.

        *host_prefix* is the service's own root URL (``http://host:port/``),
        so an ``image`` pointing at one of its own assets can be recognised.
        *key* is the caller's: the run's history record is theirs alone.
        """
        with self._lock:
            if self._closed:
                return Refusal(503, "Service is shutting down")
            now = self.clock()
            self._prune(now)
            refusal = self._rate_limited(now)
            if refusal is not None:
                return refusal
            self._submits.append(now)
            spec = MODELS.get(model)
            if spec is None:
                return Refusal(404, f"Model {model} not found")
            checked = check_submit(spec, body, host_prefix, self._assets.get)
            if isinstance(checked, Refusal):
                return checked
            params, image = checked
            cost = spec.cost(params, spec.clip(params))
            if self._credits + 1e-9 < cost:
                return Refusal(
                    406,
                    f"Insufficient credits: this run costs {cost:.4f}, "
                    f"the balance is {self._credits:.4f}",
                )
            limit = self.config.max_concurrent
            if limit is not None and self.unfinished() >= limit:
                return Refusal(
                    429,
                    f"Too many concurrent requests: {limit} unfinished requests allowed; "
                    "wait for one to finish",
                )
            self._credits -= cost
            job = self._new_job(spec, params, now, cost, sync)
            self._jobs[job.request_id] = job
            self._history[job.request_id] = Entry(owner_of(key), body, self.wall_time(now))
        if job.policy_block is None:
            self._start_render(job, image)
        return Submitted(job)

    def _new_job(
        self, spec: ModelSpec, params: dict[str, Any], now: float, cost: float, sync: bool
    ) -> Job:
        seeded = self._id_rng.getrandbits(128)
        request_id = str(uuid.UUID(int=seeded ^ self._id_salt, version=4))
        config = self.config
        queue, inference = planned_seconds(
            spec,
            params,
            self._timing_rng,
            config.speed,
            job_seconds=config.job_seconds,
            job_spread=config.job_spread,
            slow_share=config.slow_share,
            slow_factor=config.slow_factor,
        )
        shape = self.config.output_shape
        if shape == "mixed":
            shape = ("string", "list", "object")[seeded % 3]  # by the seed, not the salt
        return Job(
            request_id=request_id,
            model=spec.slug,
            params=params,
            submitted_at=now,
            queue_seconds=queue,
            inference_seconds=inference,
            cost=cost,
            sync=sync,
            policy_block=policy_block(params["prompt"]),
            output_shape=shape,
        )

    def _start_render(self, job: Job, image: SourceImage) -> None:
        data, note = image
        clip = MODELS[job.model].clip(job.params)
        # LTX-2 Pro and Fast render at the configured rate (--fps); the others at their own.
        fps = self.config.fps if job.model in _CONFIGURED_FPS else clip.fps
        frames = clip.frames if fps == clip.fps else round(clip.seconds * fps)
        spec = RenderSpec(
            prompt=job.params["prompt"],
            duration=max(1, round(clip.seconds)),
            resolution=clip.label,
            generate_audio=clip.audio,
            model=job.model,
            image=data,
            image_note=note,
            scale=self.config.render_scale,
            fps=fps,
            frame=(clip.width, clip.height),
            frames=frames,
        )
        if self._pool is None:
            self._render(job, spec)
        else:
            self._pool.submit(self._render, job, spec)

    def _render(self, job: Job, spec: RenderSpec) -> None:
        try:
            result = None if self.renderer is None else self.renderer.render(spec)
        except Exception as exc:  # a broken render must fail the job, not the worker
            with self._lock:
                job.render_error = (
                    f"Internal error while generating the video ({type(exc).__name__})"
                )
                job.render_done_at = self.clock()
            return
        with self._lock:
            name = f"{job.request_id}.mp4"
            if isinstance(result, RenderResult):
                self._media[name] = (result.path, self.clock())
                job.file_size = result.size
                job.render_cached = result.cached
            job.media_name = name
            job.render_done_at = self.clock()

    def _rate_limited(self, now: float) -> Refusal | None:
        limit = self.config.rate_limit
        if limit is None:
            return None
        window = self.config.rate_window
        while self._submits and self._submits[0] <= now - window:
            self._submits.popleft()
        if len(self._submits) < limit:
            return None
        reset_in = self._submits[0] + window - now
        headers: dict[str, str] = {}
        if self.config.rate_limit_reset_header:
            reset = time.gmtime(time.time() + reset_in)
            headers["x-rate-limit-reset-at-utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", reset)
        if self.config.retry_after_header:
            headers["Retry-After"] = str(max(1, round(reset_in + 0.5)))
        return Refusal(429, f"Rate limit exceeded: {limit} requests per minute allowed", headers)

    # ------------------------------------------------------------------ lookups

    def lookup(self, request_id: str) -> Job | None:
        """The live (not expired) v2 record, or None."""
        with self._lock:
            job = self._live(request_id)
            return None if job is None or job.sync else job

    def get_job(self, request_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(request_id)

    def _live(self, request_id: str) -> Job | None:
        job = self._jobs.get(request_id)
        if job is None or self._expired(job, self.clock()):
            return None
        return job

    def _expired(self, job: Job, now: float) -> bool:
        return now >= job.submitted_at + self.config.record_ttl

    def _prune(self, now: float) -> None:
        ttl = self.config.output_ttl
        if ttl is not None:
            for name, (_, born) in list(self._media.items()):
                if now >= born + ttl:
                    del self._media[name]

    def media_path(self, name: str) -> Path | None:
        """The file behind ``/media/<name>``: outlives the job's record, not ``output_ttl``."""
        with self._lock:
            now = self.clock()
            self._prune(now)
            entry = self._media.get(name)
            if entry is None or not entry[0].exists():
                return None
            return entry[0]

    # ------------------------------------------------------------------ request history

    def wall_time(self, at: float | None = None) -> float:
        """Unix time at engine-clock reading *at* (default now): what history stamps say."""
        return self._wall_origin + (self.clock() if at is None else at)

    def history(self, key: str | None) -> list[tuple[Job, Entry]]:
        """The caller's requests, v1 and v2, expired or not, oldest first; a snapshot.

        A request shows only ``history_lag`` seconds after it was made.
        """
        owner = owner_of(key)
        with self._lock:
            now = self.wall_time()
            return [
                (self._jobs[rid], entry)
                for rid, entry in self._history.items()
                if owner is not None and entry.owner == owner and self._landed(entry, now)
            ]

    def history_entry(self, key: str | None, request_id: str) -> tuple[Job, Entry] | None:
        """One of the caller's requests; None for an unknown id, someone else's, or one
        not landed yet (``history_lag``)."""
        owner = owner_of(key)
        with self._lock:
            entry = self._history.get(request_id)
            if entry is None or owner is None or entry.owner != owner:
                return None
            if not self._landed(entry, self.wall_time()):
                return None
            return self._jobs[request_id], entry

    def _landed(self, entry: Entry, now: float) -> bool:
        return now >= entry.created + self.config.history_lag

    def edit_history(
        self,
        request_id: str,
        *,
        body: Any = None,
        omit: tuple[str, ...] = (),
        generation_url: str | None = None,
    ) -> None:
        """Make the history's record of *request_id* say another *body* and leave out *omit*.

        *generation_url* replaces the output URL it gives once the job is COMPLETED.

        For tests of what a client makes of records it cannot be sure of (keys it did
        not send, no ``model_name``, no ``created``): the job itself is unchanged.
        """
        with self._lock:
            entry = self._history[request_id]
            self._history[request_id] = dataclasses.replace(
                entry,
                body=entry.body if body is None else body,
                omit=entry.omit | frozenset(omit),
                generation_url=generation_url or entry.generation_url,
            )

    # ------------------------------------------------------------------ uploads

    def upload(self, body: Any) -> list[str] | Refusal:
        """Store ``{"data_urls": [...]}`` and return the asset names, in order."""
        if not isinstance(body, dict) or not isinstance(body.get("data_urls"), list):
            return Refusal(400, "Expected a JSON object with 'data_urls': a list of data: URLs")
        urls = body["data_urls"]
        if not urls:
            return Refusal(400, "'data_urls' is empty")
        if self.assets_dir is None:
            return Refusal(500, "Uploads are not configured")
        decoded = []
        for i, item in enumerate(urls):
            found = decode_data_url(item) if isinstance(item, str) else None
            if found is None:
                return Refusal(400, f"'data_urls'[{i}] is not a base64 data: URL")
            decoded.append(found)
        names = []
        self.assets_dir.mkdir(parents=True, exist_ok=True)
        for mime, data in decoded:
            with self._lock:
                token = uuid.UUID(int=self._id_rng.getrandbits(128) ^ self._id_salt, version=4)
            name = f"{token}{EXTENSIONS.get(mime, '.bin')}"
            path = self.assets_dir / name
            path.write_bytes(data)
            with self._lock:
                self._assets[name] = Asset(name, path, mime)
            names.append(name)
        return names

    def asset(self, name: str) -> Asset | None:
        with self._lock:
            return self._assets.get(name)

    # ------------------------------------------------------------------ lifecycle

    def wait_renders(self, timeout: float | None = None) -> bool:
        """Block until no render is running or queued; True if so within *timeout*."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                pending = any(
                    j.render_done_at is None and j.policy_block is None for j in self._jobs.values()
                )
            if not pending:
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.01)

    def close(self) -> None:
        """Refuse new submits and stop the render workers (running renders are cancelled)."""
        with self._lock:
            self._closed = True
        if self.renderer is not None and hasattr(self.renderer, "close"):
            self.renderer.close()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    @property
    def closed(self) -> bool:
        return self._closed
