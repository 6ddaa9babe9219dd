"""A status poll imports nothing: no walk of sys.path per request (it was most of its CPU)."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

from ltx_notebook._core.config import Secret, Settings
from ltx_notebook._core.params import validate
from ltx_notebook._service.client import Client
from ltx_notebook.emulator import Emulator
from tests.conftest import API_KEY


class Finder:
    """Counts the client's lookups of modules (the emulator's threads import as they render)."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.thread = threading.get_ident()

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if threading.get_ident() == self.thread:
            self.asked.append(name)
        return None


def test_polls_look_up_no_module(emulator: Emulator) -> None:
    settings = Settings(api_key=Secret(API_KEY), base_url=emulator.base_url)

    async def polls(finder: Finder) -> None:
        async with Client(settings) as client:
            sub = await client.submit(validate(prompt="a gull over the harbour"))
            await client.status(sub.request_id)  # the first poll may import what it needs
            sys.meta_path.insert(0, finder)
            try:
                for _ in range(20):
                    await client.status(sub.request_id)
            finally:
                sys.meta_path.remove(finder)

    finder = Finder()
    asyncio.run(polls(finder))
    assert finder.asked == []
