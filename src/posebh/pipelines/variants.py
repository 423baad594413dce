"""Glue shared by the pipelines that train variants (``train``, ``finetune``, ``ablation``, ``grid``).

Not a pipeline itself (Kedro registers folders only). One namespaced train -> evaluate pipeline
per variant of the experiment matrix; the same Node objects serve every pipeline that lists the
variant, so ``__default__`` holds each once. Nodes only parse their parameter blocks into a
``posebh.runs`` config and call the run.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from kedro.pipeline import Node, Pipeline
from kedro.utils import find_kedro_project

from posebh import skeletons
from posebh.experiments import MATRIX_FILE, Matrix, Variant, load_matrix
from posebh.pipelines import bind
from posebh.runs.config import EvalConfig, SampleConfig
from posebh.runs.evaluate import evaluate_variant
from posebh.runs.finetune import FinetuneRun, finetune_variant
from posebh.runs.variant import ScratchRun, train_variant

TRAIN_SETS = {f"train_{d}": f"{d}_train" for d in skeletons.SOURCES}  # node kwarg -> dataset
VAL_SETS = {f"val_{d}": f"{d}_val" for d in skeletons.SOURCES}
LIVE_DIR = "data/08_reporting/dvclive/{}"  # dvclive folder of a variant (a dvc.yaml out)


def project_root() -> Path:
    """The Kedro project folder (where ``kedro`` / ``dvc`` run), found from the working folder."""
    return Path(find_kedro_project(Path.cwd()) or Path.cwd())


@cache
def matrix() -> Matrix:
    return load_matrix(project_root() / MATRIX_FILE)


def sets_by_name(sets: dict[str, dict], prefix: str) -> dict[str, dict]:
    """``{"train_coco": x, ...}`` -> ``{"coco": x, ...}`` for one prefix."""
    return {k[len(prefix) + 1:]: v for k, v in sets.items() if k.startswith(prefix + "_")}


def train(variant: Variant, model: dict, train: dict, data: dict,
          **sets: dict) -> tuple[dict, list[dict]]:
    """Train a scratch variant -> (checkpoint, history)."""
    run = ScratchRun.resolve(variant, model, train, data)
    return train_variant(run, sets_by_name(sets, "train"), LIVE_DIR.format(variant.name))


def finetune(variant: Variant, baseline: dict, finetune: dict, method: dict, data: dict,
             **sets: dict) -> tuple[dict, list[dict], dict]:
    """Fine-tune the baseline -> (checkpoint, history, prototypes)."""
    run = FinetuneRun.resolve(variant, finetune, method, data)
    return finetune_variant(run, baseline, sets_by_name(sets, "train"), LIVE_DIR.format(variant.name))


def evaluate(checkpoint: dict, data: dict, evaluation: dict, **sets: dict) -> tuple[dict, dict]:
    """Every head on its val split -> (predictions, metrics)."""
    return evaluate_variant(checkpoint, sets_by_name(sets, "val"), SampleConfig.from_data(data),
                            EvalConfig.from_dict(evaluation))


@cache
def variant_pipeline(name: str) -> Pipeline:
    """The train + evaluate pipeline of one variant, under namespace ``name``."""
    variant = matrix().variants[name]
    if variant.kind == "finetune":
        fit = Node(bind(finetune, variant),
                   inputs={"baseline": "baseline.checkpoint", "finetune": "params:finetune",
                           "method": "params:method", "data": "params:data", **TRAIN_SETS},
                   outputs=["checkpoint", "history", "prototypes"], name="finetune")
        shared = {"baseline.checkpoint"}
        params = {"params:finetune", "params:method", "params:data", "params:evaluation"}
    else:
        fit = Node(bind(train, variant),
                   inputs={"model": "params:model", "train": "params:train", "data": "params:data",
                           **TRAIN_SETS},
                   outputs=["checkpoint", "history"], name="train")
        shared = set()
        params = {"params:model", "params:train", "params:data", "params:evaluation"}
    score = Node(evaluate, inputs={"checkpoint": "checkpoint", "data": "params:data",
                                   "evaluation": "params:evaluation", **VAL_SETS},
                 outputs=["predictions", "metrics"], name="evaluate")
    return Pipeline([fit, score], namespace=name,
                    inputs=set(TRAIN_SETS.values()) | set(VAL_SETS.values()) | shared,
                    parameters=params)


def variants_pipeline(names: list[str]) -> Pipeline:
    return sum((variant_pipeline(v) for v in names), Pipeline([]))
