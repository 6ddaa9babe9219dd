"""``Store.add_copy``: another store's row, added once however often it is copied."""

from __future__ import annotations

from pathlib import Path

from ltx_notebook._core.params import validate
from ltx_notebook._storage.records import to_datetime
from ltx_notebook._storage.store import Store
from tests.harness.clock import FakeClock


def test_a_row_is_added_once_by_its_request_id_or_its_request_and_instant(
    store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    other = Store(tmp_path / "other.sqlite", clock=clock)
    sent = other.create(validate(prompt="sent"), cost_estimate=0.3, base_url=None)
    other.update(sent.id, request_id="req-1", status="COMPLETED", cost=0.3)
    never = other.create(validate(prompt="never sent"), cost_estimate=0.3, base_url=None)
    clock.advance(1)
    # The same request a second later: another row, kept apart.
    again = other.create(validate(prompt="never sent"), cost_estimate=0.3, base_url=None)
    rows = {r["id"]: r for r in other.rows()}
    ids = (sent.id, never.id, again.id)

    assert all(store.add_copy(rows[i]) is not None for i in ids)
    assert [store.add_copy(rows[i]) for i in ids] == [None, None, None]
    assert store.count() == 3
    copied = store.get_by_request_id("req-1")
    assert copied is not None and copied.cost == 0.3
    # Every column as it was, the times included; the id is the store's own.
    assert copied.updated_at == to_datetime(rows[sent.id]["updated_at"])
    assert copied.submitted_at == to_datetime(rows[sent.id]["submitted_at"])
