"""The budget settings: configure(), the environment, and bad values refused at once."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from ltx_notebook import InvalidParams, configure
from ltx_notebook._core import config as _config


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_config, "_settings", None)


def test_configure_sets_changes_and_removes_the_budget() -> None:
    assert configure().budget is None and configure().budget_period == "session"
    assert configure(budget=5).budget == 5.0
    assert configure(budget="$2.50").budget == 2.5
    assert configure(budget_period="day").budget == 2.5  # only what is given changes
    assert configure(budget_period="24h").budget_period == timedelta(hours=24)
    assert configure(budget_period=timedelta(days=3)).budget_period == timedelta(days=3)
    assert configure(budget=math.inf).budget is None
    assert configure().describe()["budget"] == "(none)"


@pytest.mark.parametrize("bad", [-1, "lots", math.nan, True, [5]])
def test_a_bad_budget_is_refused_and_the_old_one_kept(bad: object) -> None:
    configure(budget=3)
    with pytest.raises(InvalidParams, match="budget must be an amount in USD"):
        configure(budget=bad)  # type: ignore[arg-type]
    assert configure().budget == 3.0


@pytest.mark.parametrize("bad", ["weekly", "0h", timedelta(0), 7])
def test_a_bad_period_is_refused(bad: object) -> None:
    with pytest.raises(InvalidParams, match="budget_period must be one of session, day"):
        configure(budget_period=bad)  # type: ignore[arg-type]


def test_the_environment_sets_both_and_names_itself_when_wrong(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LTX_NOTEBOOK_BUDGET", "12")
    monkeypatch.setenv("LTX_NOTEBOOK_BUDGET_PERIOD", "month")
    settings = configure()
    assert (settings.budget, settings.budget_period) == (12.0, "month")
    assert settings.describe()["budget"] == "$12.00"
    monkeypatch.setattr(_config, "_settings", None)
    monkeypatch.setenv("LTX_NOTEBOOK_BUDGET", "twelve")
    with pytest.raises(InvalidParams, match=r"^LTX_NOTEBOOK_BUDGET must be"):
        _config.Settings.from_env()
