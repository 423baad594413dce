"""Glue shared by the pipelines that train variants (``train``, ``finetune``, ``ablation``, ``grid``).

Not a pipeline itself (Kedro registers folders only): the matrix, the dataset names of the
node inputs, the evaluate node, and ``variant_pipeline`` that wraps a variant's fit node and its
evaluate node under the variant's namespace. ``scratch_variants.py`` and ``finetune_variants.py``
hold the fit nodes of each kind, so a stage imports only the runs it executes.
"""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from posebh import skeletons
from posebh.runs.config import EvalConfig, SampleConfig
from posebh.runs.evaluate import evaluate_detections, evaluate_unseen, evaluate_variant

TRAIN_SETS = {f"train_{d}": f"{d}_train" for d in skeletons.SOURCES}  # node kwarg -> dataset
VAL_SETS = {f"val_{d}": f"{d}_val" for d in skeletons.SOURCES}
UNSEEN_SETS = {"unseen_ochuman": "ochuman_val", "unseen_ochuman_test": "ochuman_test",  # Table 10
               "unseen_ochuman_occ": "ochuman_occ_val", "unseen_ochuman_occ_test": "ochuman_occ_test"}
LIVE_DIR = "data/08_reporting/dvclive/{}"  # dvclive folder of a variant (a dvc.yaml out)


def sets_by_name(sets: dict[str, dict], prefix: str) -> dict[str, dict]:
    """``{"train_coco": x, ...}`` -> ``{"coco": x, ...}`` for one prefix."""
    return {k[len(prefix) + 1:]: v for k, v in sets.items() if k.startswith(prefix + "_")}


def evaluate(checkpoint: dict, data: dict, evaluation: dict, **sets: dict) -> tuple[dict, dict]:
    """Every head on its val split (GT boxes; also on the detector's boxes where the split carries
    them: ``metrics[d]["detector"]``, the paper's COCO val protocol), the COCO head on OCHuman
    (empty sets: skipped) -> (predictions, metrics)."""
    sample, cfg = SampleConfig.from_data(data), EvalConfig.from_dict(evaluation)
    val = sets_by_name(sets, "val")
    predictions, metrics = evaluate_variant(checkpoint, val, sample, cfg)
    for name, detector in evaluate_detections(checkpoint, val, sample, cfg).items():
        metrics[name]["detector"] = detector
    metrics.update(evaluate_unseen(checkpoint, sets_by_name(sets, "unseen"), sample, cfg))
    return predictions, metrics


def variant_pipeline(name: str, fit: Node, params: set[str], shared: set[str] = frozenset()
                     ) -> Pipeline:
    """``fit`` (outputs ``checkpoint``, ``history``...) then evaluate, under namespace ``name``."""
    score = Node(evaluate, inputs={"checkpoint": "checkpoint", "data": "params:data",
                                   "evaluation": "params:evaluation", **VAL_SETS, **UNSEEN_SETS},
                 outputs=["predictions", "metrics"], name="evaluate")
    return Pipeline([fit, score], namespace=name,
                    inputs=set(TRAIN_SETS.values()) | set(VAL_SETS.values())
                    | set(UNSEEN_SETS.values()) | set(shared),
                    parameters=set(params) | {"params:data", "params:evaluation"})
