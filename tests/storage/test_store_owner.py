"""Who made each row, on SQLite and PostgreSQL: the owner filter and ``history(owner=...)``.

Rows made before revision 0006 have no owner; they count as the local user's own,
so a personal store upgraded in place stays "mine".
"""

from __future__ import annotations

import pandas as pd

from ltx_notebook._core.params import validate
from ltx_notebook._core.status import JobStatus
from ltx_notebook._storage.store import Store
from ltx_notebook._view.history import history_text, history_view

BASE = "http://127.0.0.1:8765/v1"


def _rows(store: Store) -> dict[str | None, int]:
    made = {}
    for owner in ("ana", "bo", None):
        fields = {} if owner is None else {"owner": owner}
        record = store.create(
            validate(prompt=f"a heron for {owner}"),
            cost_estimate=0.36,
            base_url=BASE,
            fields=fields,
        )
        store.update(record.id, request_id=f"rid-{owner}", status=JobStatus.COMPLETED)
        made[owner] = record.id
    return made


def test_a_list_of_owners_with_none_matches_the_rows_without_one(store: Store) -> None:
    made = _rows(store)
    assert {r.id for r in store.find(owner=["ana", None])} == {made["ana"], made[None]}
    assert {r.id for r in store.find(owner=["bo"])} == {made["bo"]}
    assert {r.id for r in store.find(owner=None)} == {made[None]}
    assert store.find(owner=[]) == []


def test_history_has_an_owner_column_and_me_is_the_user_and_the_rows_before_owners(
    store: Store,
) -> None:
    made = _rows(store)
    every = history_view(store, user="ana")
    assert set(every.index) == set(made.values())
    assert every.loc[made["bo"], "owner"] == "bo" and pd.isna(every.loc[made[None], "owner"])

    mine = history_view(store, user="ana", owner="me")
    assert set(mine.index) == {made["ana"], made[None]}
    theirs = history_view(store, user="ana", owner="bo")
    assert list(theirs.index) == [made["bo"]]


def test_the_owner_column_is_shown_only_when_the_rows_are_more_than_one_persons(
    store: Store,
) -> None:
    _rows(store)
    team = history_text(history_view(store, user="ana"))
    assert "owner" in team.splitlines()[1] and "bo" in team
    alone = history_text(history_view(store, user="ana", owner="bo"))
    assert "owner" not in alone.splitlines()[1]
