"""The ``adapt`` pipeline on an in-memory catalog with conf/test's parameters (as the other
slices in test_pipeline_slices.py), and its metrics file on disk in percent."""

from __future__ import annotations

import copy
import json

import pytest
import torch
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from support import profile_params

from posebh import skeletons
from posebh.method.config import MethodConfig
from posebh.method.posebh_model import PoseBHModel
from posebh.models.config import ModelConfig
from posebh.models.multihead import MultiHeadPose
from posebh.pipelines.adapt import create_pipeline
from posebh.pipelines.atomic_datasets import JSONFile, MetricsFile
from posebh.runs.params import check_params
from posebh.zoo.checkpoint import to_checkpoint

pytestmark = pytest.mark.filterwarnings(
    "ignore:One or more dataset names contain '.' characters:UserWarning")


@pytest.fixture(scope="module")
def feed(tmp_path_factory) -> dict:
    from posebh.data.synthetic import render_split

    p = profile_params("test")
    p["adapt"]["targets"] = ["pw3d"]
    p["adapt"]["recipes"] = ["lora", "prototype_first"]
    check_params(p)
    model = ModelConfig.from_dict(p["model"])
    torch.manual_seed(0)
    out = {"baseline.checkpoint": to_checkpoint(MultiHeadPose(model)),
           "posebh.checkpoint": to_checkpoint(PoseBHModel(model,
                                                          MethodConfig.from_dict(p["method"])))}
    root = tmp_path_factory.mktemp("render")
    for t in skeletons.TRANSFER:
        for split, n in (("train", 8), ("val", 2)):  # conf/test: batches of 8
            coco = render_split(t, n, seed=0, image_dir=root / t / split, canvas=(64, 64))
            coco["info"]["image_root"] = str(root / t / split)
            out[f"{t}_{split}"] = coco
    out |= {f"params:{b}": copy.deepcopy(p[b])
            for b in ("adapt", "transfer", "method", "data", "evaluation")}
    return out


def test_adapt_pipeline_writes_metrics_and_timings(feed, tmp_path):
    pipe = create_pipeline()
    catalog = DataCatalog({name: MemoryDataset(value) for name, value in feed.items()})
    outputs = SequentialRunner().run(pipe, catalog)
    assert set(outputs) == {"adapt_metrics", "adapt_timings"}
    metrics, timings = outputs["adapt_metrics"].load(), outputs["adapt_timings"].load()
    assert {r: list(i) for r, i in metrics["pw3d"].items()} == {
        "lora": ["baseline", "posebh"], "prototype_first": ["posebh"]}
    assert set(timings["pw3d"]["lora"]["posebh"]) == {"0"}
    cell = metrics["pw3d"]["lora"]["baseline"]
    assert 0.0 <= cell["AP"] <= 1.0 and 0 < cell["share_trainable"] < 0.5
    MetricsFile(str(tmp_path / "adapt.json")).save(metrics)  # the catalog's type: % on disk
    disk = json.loads((tmp_path / "adapt.json").read_text())["pw3d"]["lora"]["baseline"]
    assert disk["share_trainable"] == pytest.approx(100 * cell["share_trainable"])
    assert disk["PCK@0.2"] == pytest.approx(100 * cell["PCK@0.2"])
    JSONFile(str(tmp_path / "t.json")).save(timings)  # plain JSON: string seed keys
