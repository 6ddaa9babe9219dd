"""An emulator of Segmind's serverless API for the LTX-2 family and other video models.

It serves the same routes and bodies as the real service (v2 submit / status /
result, v1 sync, credits, uploads, media with Range support, the request
history), renders real MP4s whose picture and sound depend on the prompt, and
can be made slow, stingy, rate-limited or faulty on purpose. See
``docs/emulator.md``.

>>> with Emulator(EmulatorConfig(speed=50, render_scale=0.1)) as emu:  # doctest: +SKIP
...     client = SegmindClient(api_key="any", base_url=emu.base_url)
"""

from ._catalog import MODELS, PRICE_PER_SECOND, ModelSpec
from ._config import EmulatorConfig
from ._engine import Engine
from ._faults import ROUTE_KINDS, Fault, LogEntry
from ._server import Emulator
from ._timeline import Job
from ._video import FRAME_SIZES, Renderer, RenderResult, RenderSpec

__all__ = [
    "FRAME_SIZES",
    "MODELS",
    "PRICE_PER_SECOND",
    "ROUTE_KINDS",
    "Emulator",
    "EmulatorConfig",
    "Engine",
    "Fault",
    "Job",
    "LogEntry",
    "ModelSpec",
    "RenderResult",
    "RenderSpec",
    "Renderer",
]
