"""Evaluate the released ViTPose++ / PoseBH weights that are present, as trained variants are.

Each file of ``posebh/zoo/released.yaml`` found under the weights folder goes through
``evaluate_variant`` (GT boxes, flip test, the profile's decoding and evaluator) and, where a val
split carries person detections, ``evaluate_detections``. Every present file is read and checked
first, so a wrong file stops the stage before any evaluation; an absent file is one log line and an
entry ``{"status": "not provided", "path", "source"}``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from posebh import configs
from posebh.evaluation.protocol import DETECTOR_BOXES, protocols
from posebh.runs.config import EvalConfig, SampleConfig
from posebh.zoo.released import EVALUATED, NOT_PROVIDED, ReleasedModel, present, read_released

log = logging.getLogger(__name__)


def not_provided(path: Path, model: ReleasedModel) -> dict:
    """The entry of a file that is not there."""
    return {"status": NOT_PROVIDED, "path": str(path), "source": model.source}


def evaluate_released(models: Mapping[str, ReleasedModel], root: str | Path,
                      val_sets: Mapping[str, dict], sample: SampleConfig, evaluation: EvalConfig
                      ) -> dict[str, dict]:
    """Model name -> its entry: ``not provided``, or ``evaluated`` with ``metrics`` (GT boxes),
    ``detector_metrics`` (detector boxes, where the val split has them) and ``protocol``
    (metrics key -> the protocol line of the numbers the report shows for it)."""
    root = Path(root)
    here = present(models, root)
    out: dict[str, dict] = {}
    for name, model in models.items():
        if not here[name]:
            log.warning("released weights %s: %s not provided (download: %s; listed on %s); its "
                        "report rows say 'not provided'", name, root / model.file, model.get,
                        model.source)
            out[name] = not_provided(root / model.file, model)
    if not any(here.values()):
        return out
    from posebh.runs.evaluate import evaluate_detections, evaluate_variant  # torch: only now

    for name in (n for n in models if here[n]):  # refuse any wrong file before evaluating one
        read_released(root / models[name].file, name, models[name])
    for name in (n for n in models if here[n]):
        model, path = models[name], root / models[name].file
        ckpt = read_released(path, name, model)
        datasets = tuple(d for d in ckpt["model_cfg"]["datasets"] if d in val_sets)
        _, metrics = evaluate_variant(ckpt, val_sets, sample, evaluation, only=datasets)
        detector = evaluate_detections(ckpt, val_sets, sample, evaluation)
        boxes = {d: DETECTOR_BOXES for d in detector}
        out[name] = {"status": EVALUATED, "path": str(path), "source": model.source,
                     "backbone": model.backbone, "metrics": metrics, "detector_metrics": detector,
                     "protocol": protocols(list(metrics), configs.to_dict(evaluation), boxes)}
        log.info("released weights %s (%s): evaluated on %s", name, path, ", ".join(datasets))
    return {name: out[name] for name in models}
