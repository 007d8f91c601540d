"""Each setting is declared once (a dataclass field) and given one flag (commands/options.py)."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from forecast.commands.options import (
    FLAGS,
    LIBRARY_ONLY,
    Settings,
    _leaves,
    command,
    train_settings,
)
from forecast.config import PARTS, FitOptions, NetworkOptions, TrainConfig
from forecast.data_flags import DataOptions
from forecast.errors import ConfigError


def test_every_setting_has_one_flag_and_every_flag_one_setting():
    names = [f.name for _, f in _leaves(TrainConfig)]
    assert len(names) == len(set(names))  # no two parts declare the same setting
    assert set(FLAGS) | LIBRARY_ONLY == set(names)
    assert not set(FLAGS) & LIBRARY_ONLY


def test_the_flags_build_the_same_config_as_the_library_defaults():
    received = {}
    run = command(config=train_settings())(lambda config: received.setdefault("config", config))
    run(**{p.name: (["y"] if p.name == "target" else p.default)
           for p in run.__signature__.parameters.values()})
    assert received["config"] == TrainConfig(target="y")


def test_flat_and_part_settings_build_alike_and_store_flat():
    flat = TrainConfig(target="y", units=8, epochs=2, fill="zero", device="cpu")
    parts = TrainConfig(target="y", network=NetworkOptions(units=8), fitting=FitOptions(epochs=2),
                        data=DataOptions(fill="zero"), hardware=replace(PARTS["hardware"](), device="cpu"))
    assert flat == parts and flat.units == 8 and flat.network.units == 8
    stored = flat.to_dict()
    assert "network" not in stored and stored["units"] == 8 and stored["fill"] == "zero"
    assert TrainConfig(**stored) == flat  # bundle.json's flat dict reads back
    assert replace(flat, lookback=12).lookback == 12 and flat.lookback is None


@pytest.mark.parametrize(("settings", "match"), [
    ({"units": 0}, "--units must be between"),
    ({"epochs": 0}, "--epochs must be a whole number"),
    ({"fill": "spline"}, "Unknown --fill"),
    ({"device": "tpu"}, "Unknown --device"),
])
def test_each_part_checks_its_own_settings(settings, match):
    with pytest.raises(ConfigError, match=match):
        TrainConfig(target="y", **settings)


@pytest.mark.parametrize(("settings", "match"), [
    ({"units": "32"}, "--units must be a whole number; got '32'"),  # said "between 1 and 4096; got 32"
    ({"horizon": True}, "--horizon must be a whole number"),  # bool is an int to Python: read as 1
    ({"ensemble": False}, "--ensemble must be a whole number"),
    ({"seed": True}, "--seed must be between"),
    ({"quantiles": [0.1, True]}, "--quantiles must be numbers"),
    ({"quantiles": ["low"]}, "--quantiles must be numbers"),
    ({"data": {"fil": "zero"}}, "data has no setting 'fil'"),
    ({"network": 8}, "network must be a NetworkOptions"),
])
def test_the_library_refuses_settings_of_the_wrong_kind_in_our_words(settings, match):
    """TrainConfig used from Python: a value of the wrong type gets a ConfigError naming it (it
    was read as another value, or raised Python's own TypeError)."""
    with pytest.raises(ConfigError, match=match):
        TrainConfig(target="y", **settings)


def test_the_library_reads_parts_as_dicts_and_quantiles_as_one_number_or_text():
    """A part as a dict (as JSON holds it), and quantiles as one level or as the CLI's text,
    are read as the CLI would read them (each raised TypeError)."""
    config = TrainConfig("y", data={"fill": "zero"}, network={"units": 8}, horizon=3)
    assert config.fill == "zero" and config.units == 8 and config.horizon == 3
    assert TrainConfig("y", quantiles=0.9).quantiles == [0.5, 0.9]
    assert TrainConfig("y", quantiles="0.1,0.5,0.9").quantiles == [0.1, 0.5, 0.9]


def test_numpy_counts_are_read_as_the_numbers_they_are():
    """A count computed with pandas is np.int64: horizon=np.int64(12) was refused as 'must be a whole
    number of at least 1; got 12'."""
    import json

    import numpy as np

    config = TrainConfig("y", horizon=np.int64(12), units=np.int32(8), seed=np.uint32(3), epochs=np.int64(2))
    assert (config.horizon, config.units, config.seed, config.epochs) == (12, 8, 3, 2)
    assert type(config.horizon) is int and json.loads(json.dumps(config.to_dict()))["units"] == 8


def test_a_command_taking_some_settings_gets_only_those_flags():
    only = Settings(TrainConfig, only=("lookback", "horizon"), built=False)
    assert [p.name for p in only.parameters()] == ["lookback", "horizon"]
    assert only.value({"lookback": 5, "horizon": None}) == {"lookback": 5}
    assert {f.name for f in fields(DataOptions)} == {p.name for p in Settings(DataOptions).parameters()}


def test_a_fractional_step_is_recorded_as_the_whole_step_pandas_reads():
    """--freq 0.5D works as 12h; bundle.json and the notes say 12h, not the fraction as typed."""
    assert DataOptions(freq="0.5D").freq == "12h"
    assert DataOptions(resample="1.5h").resample == "90min"
    assert DataOptions(freq="W").freq == "W"  # a whole alias stays as written (its anchor is found later)
