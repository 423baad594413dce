"""Typed configs: one parse per block, one-line errors naming the parameter (#10, #13)."""

from __future__ import annotations

import typing

import pytest
from support import profile_params

from posebh.configs import ConfigError, parse
from posebh.evaluation.oks import ENGINES
from posebh.method.config import MethodConfig
from posebh.models.config import ModelConfig
from posebh.runs.adapt import AdaptConfig, Recipe, Target
from posebh.runs.cape import CapeConfig
from posebh.runs.cape_eval import CapeEvalConfig
from posebh.runs.kd import KDConfig
from posebh.runs.config import Engine, EvalConfig, SampleConfig
from posebh.runs.params import check_params
from posebh.training.config import TrainConfig

BAD = [
    ("seeds", {"baseline": "each"}, r"^seeds\.baseline: "),
    ("seeds", {"extra": [-1]}, r"^seeds\.extra\.0: "),
    ("train", {"epochs": "ten"}, r"^train\.epochs: Input should be a valid integer.*\(got 'ten'\)$"),
    ("train", {"epochs": 0}, r"^train\.epochs: .*greater than or equal to 1 \(got 0\)$"),
    ("train", {"epochs": -3}, r"^train\.epochs: "),
    ("train", {"steps_per_epoch": 0}, r"^train\.steps_per_epoch: "),
    ("train", {"amp": "fp8"}, r"^train\.amp: Input should be 'auto', 'none', 'bf16' or 'fp16'"),
    ("train", {"optim": {"lr": "fast"}}, r"^train\.optim\.lr: Input should be a valid number"),
    ("train", {"optim": {"lr": 0}}, r"^train\.optim\.lr: .*greater than 0"),
    ("train", {"epoch": 3}, r"^train\.epoch: unknown parameter \(got 3\)$"),
    ("model", {"depth": 0}, r"^model\.depth: "),
    ("model", {"label_space": "union"}, r"^model\.label_space: "),
    ("method", {"similarity": "dot"}, r"^method\.similarity: "),
    ("method", {"momentum": 1.5}, r"^method\.momentum: "),
    ("method", {"normalisation": "code"}, r"^method\.normalisation: Input should be .paper. or .released."),
    ("evaluation", {"engine": "cocoapi"}, r"^evaluation\.engine: "),
    ("data", {"sigma": 0}, r"^data\.sigma: "),
    ("data", {"aug": {"flip": 0.5}}, r"^data\.aug\.flip: unknown parameter"),
    ("transfer", {"train": {"epochs": 0}}, r"^transfer\.train\.epochs: "),
    ("transfer", {"train": {}, "per_target": {"pw3d": {"batch_size": 0}}},
     r"^transfer\.per_target\.pw3d\.batch_size: "),
]


@pytest.mark.parametrize(("block", "value", "message"), BAD, ids=[m.split(":")[0][1:] for *_, m in BAD])
def test_bad_parameters_are_one_line_errors_naming_the_parameter(block, value, message):
    with pytest.raises(ConfigError, match=message) as err:
        check_params({block: value})
    assert "\n" not in str(err.value)


ADAPT_BAD = [(v, m) for _, v, m in [
    ("adapt", {"recipes": ["adapter"]}, r"^adapt\.recipes\.0: Input should be 'full'"),
    ("adapt", {"inits": ["scratch"]}, r"^adapt\.inits\.0: "),
    ("adapt", {"targets": ["coco"]}, r"^adapt\.targets\.0: "),
    ("adapt", {"seeds": [-1]}, r"^adapt\.seeds\.0: "),
    ("adapt", {"last_k": 0}, r"^adapt\.last_k: "),
]]


@pytest.mark.parametrize(("value", "message"), ADAPT_BAD, ids=[m.split(":")[0][1:] for _, m in ADAPT_BAD])
def test_bad_adapt_parameters_are_one_line_errors(value, message):
    """The adapt block is parsed when its node runs (every stage imports check_params)."""
    with pytest.raises(ConfigError, match=message) as err:
        AdaptConfig.from_dict(value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("env", ["base", "paper", "paper_smoke", "study", "test"])
def test_every_profile_parses(env):
    params = profile_params(env)
    check_params(params)
    AdaptConfig.from_dict(params["adapt"])  # the blocks parsed when their nodes run
    CapeConfig.from_dict(params["cape"])
    CapeEvalConfig.from_dict(params["cape_evaluation"])
    KDConfig.from_dict(params["kd"])


def test_parse_returns_typed_values_and_passes_instances_through():
    cfg = TrainConfig.from_dict({"epochs": 3, "optim": {"betas": [0.8, 0.9], "lr_steps": [2]}})
    assert cfg.optim.betas == (0.8, 0.9) and cfg.optim.lr_steps == (2,)
    assert parse(TrainConfig, cfg, "train") is cfg
    assert ModelConfig.from_dict({"img_size": [64, 48]}).img_size == (64, 48)
    assert MethodConfig.from_dict(MethodConfig().to_dict()) == MethodConfig()
    assert SampleConfig.from_data({"sigma": 3, "source": "real"}).sigma == 3  # other keys: data stage's
    with pytest.raises(ConfigError, match=r"^train: expected a mapping"):
        parse(TrainConfig, [1, 2], "train")


def test_the_engine_choices_are_the_evaluators_engines():
    assert typing.get_args(Engine) == ENGINES
    assert EvalConfig.from_dict({"dark": None}).dark is None  # paper: DARK-UDP for UDP heads only


def test_the_adapt_choices_are_the_recipes_and_the_transfer_targets():
    from posebh import skeletons
    from posebh.training.freeze import RECIPES

    assert typing.get_args(Recipe) == tuple(RECIPES)
    assert typing.get_args(Target) == skeletons.TRANSFER
