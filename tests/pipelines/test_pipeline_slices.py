"""Pipeline slices: each Kedro pipeline run by ``SequentialRunner`` on an in-memory catalog.

As the Kedro starters test a pipeline: ``create_pipeline()``, a ``DataCatalog`` of
``MemoryDataset``s holding its inputs and ``params:`` entries, ``SequentialRunner().run``, then
checks on what it wrote. Parameters are conf/test's (soft-merged over conf/base, as ``kedro run
--env test`` resolves them); only sizes and the image folder are smaller here. The slices chain
through module-scoped fixtures (data -> baseline -> posebh) so each model is trained once.

Kedro 1.7: ``runner.run`` returns ``{name: dataset}`` for the pipeline's free outputs (datasets,
not data: ``.load()`` them); a ``MemoryDataset`` that only feeds a later node is *released*
(emptied) once that node has run, so an intermediate a test reads or reuses
(``baseline.checkpoint``) is registered as a ``KeptDataset``.
"""

from __future__ import annotations

import copy
import socket
from pathlib import Path

import pandas as pd
import pytest
import torch
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline
from kedro.runner import SequentialRunner
from support import ROOT, profile_params

from posebh import skeletons
from posebh.data.coco_validate import check_image_files, validate_coco
from posebh.pipelines import matrix
from posebh.pipelines.ablation import create_pipeline as ablation_pipeline
from posebh.pipelines.cross_skeleton import create_pipeline as cross_pipeline
from posebh.pipelines.data import create_pipeline as data_pipeline
from posebh.pipelines.download import create_pipeline as download_pipeline
from posebh.pipelines.finetune import create_pipeline as finetune_pipeline
from posebh.pipelines.grid import create_pipeline as grid_pipeline
from posebh.pipelines.report import create_pipeline as report_pipeline
from posebh.pipelines.report.pipeline import OUTPUTS as REPORT_OUTPUTS
from posebh.pipelines.report.pipeline import PARAMS as REPORT_PARAMS
from posebh.pipelines.report.pipeline import paper_table_outputs
from posebh.pipelines.seeds import create_pipeline as seeds_pipeline
from posebh.pipelines.train import create_pipeline as train_pipeline
from posebh.pipelines.transfer import create_pipeline as transfer_pipeline
from posebh.runs.params import check_params

# Kedro 1.7 warns when a node names a dotted dataset itself (finetune, grid and transfer read
# "baseline.checkpoint"); the names are the project's catalog names, so the warning is expected.
pytestmark = pytest.mark.filterwarnings("ignore:One or more dataset names contain '.' characters:UserWarning")

IMAGE_SETS = tuple(d for d in skeletons.SOURCES if d != "apt36k") + skeletons.TRANSFER
ALL_SETS = skeletons.SOURCES + skeletons.TRANSFER
TINY = {"train": 4, "val": 2}
TARGET = "pw3d"  # transfer slice: one target (SMPL 24, OKS AP)
# transfer.train.batch_size is 8 in conf/test and a short final batch is dropped: 8 train images
SIZES = {d: {"train": 8, "val": 2} if d == TARGET else dict(TINY) for d in IMAGE_SETS}
# The official 7:1:2 rule cuts each species' per-image list of video ids (6 species, clips cycle
# through them): 25 one-frame clips is the least that leaves a video in val and in test (so are
# 26-29 and 31-37; 30, five clips of every species, leaves val empty and the split fails).
APT36K = {"videos": 25, "frames": 1}
INITS = ["scratch", "baseline", "posebh"]
UNSEEN = ("ochuman_val", "ochuman_test", "ochuman_occ_val", "ochuman_occ_test")  # Table 10: {} here


class KeptDataset(MemoryDataset):
    """A ``MemoryDataset`` the runner does not empty after its last consumer has run."""

    def _release(self) -> None:
        pass


def run(pipeline: Pipeline, feed: dict, kept: tuple[str, ...] = ()) -> tuple[dict, DataCatalog]:
    """Run ``pipeline`` on a catalog holding ``feed``; (free outputs loaded, the catalog)."""
    catalog = DataCatalog({name: MemoryDataset(value) for name, value in feed.items()})
    for name in kept:
        catalog[name] = KeptDataset()
    outputs = SequentialRunner().run(pipeline, catalog)
    assert set(outputs) == pipeline.outputs()
    return {name: dataset.load() for name, dataset in outputs.items()}, catalog


def params_feed(params: dict, *blocks: str) -> dict:
    return {f"params:{b}": copy.deepcopy(params[b]) for b in blocks}


def sets_feed(data: dict, names=skeletons.SOURCES, splits=("train", "val")) -> dict:
    return {f"{d}_{s}": data[f"{d}_{s}"] for d in names for s in splits} | {u: data[u] for u in UNSEEN}


def in_unit_interval(x: float) -> bool:
    return 0.0 <= x <= 1.0


def headline_ap(dataset: str, metrics: dict) -> float:
    """The dataset's AP as evaluate reports it (WholeBody: per part, the ``wholebody`` part)."""
    return metrics["wholebody"]["AP"] if dataset == "coco_wholebody" else metrics["AP"]


# ----------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module", autouse=True)
def workdir(tmp_path_factory):
    """The matrix read from the project (``matrix()`` finds it from the working folder and is
    cached), then the runs in a scratch folder: their dvclive folders are relative paths."""
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        matrix()
        mp.chdir(tmp_path_factory.mktemp("cwd"))
        yield


@pytest.fixture(scope="module")
def params(tmp_path_factory) -> dict:
    """conf/test's parameters with tiny data sizes and the images in a temporary folder."""
    p = profile_params("test")
    data = p["data"]
    data["image_root"] = str(tmp_path_factory.mktemp("images"))
    data["sizes"] = copy.deepcopy(SIZES)
    data["apt36k"] = {**data["apt36k"], **APT36K}
    check_params(p)  # what the project's hook checks before a `kedro run`
    return p


@pytest.fixture(scope="module")
def data(params) -> dict:
    """The ``data`` slice's outputs (every dataset's splits, the APT-36K split summary and the
    content digest downstream stages depend on)."""
    pipe = data_pipeline()
    sets = tuple(sorted(pipe.outputs() ^ pipe.all_outputs()))  # consumed by the digest node
    out, catalog = run(pipe, {"raw_data_status": {"source": "synthetic", "datasets": {}},
                              **params_feed(params, "data")}, kept=sets)
    return {**out, **{name: catalog[name].load() for name in sets}}


@pytest.fixture(scope="module")
def baseline(params, data) -> dict:
    """``train --namespaces baseline``: its outputs, the checkpoint included."""
    pipe = train_pipeline().only_nodes_with_namespaces(["baseline"])
    out, catalog = run(pipe, {**sets_feed(data), **params_feed(params, "model", "train", "data",
                                                                "evaluation")},
                       kept=("baseline.checkpoint",))
    return {**out, "baseline.checkpoint": catalog.load("baseline.checkpoint")}


@pytest.fixture(scope="module")
def posebh(params, data, baseline) -> dict:
    """``finetune --namespaces posebh`` from the baseline checkpoint: its outputs + checkpoint."""
    pipe = finetune_pipeline().only_nodes_with_namespaces(["posebh"])
    out, catalog = run(pipe, {"baseline.checkpoint": baseline["baseline.checkpoint"],
                              **sets_feed(data),
                              **params_feed(params, "finetune", "method", "data", "evaluation")},
                       kept=("posebh.checkpoint",))
    return {**out, "posebh.checkpoint": catalog.load("posebh.checkpoint")}


@pytest.fixture(scope="module")
def grid(params, data, baseline) -> dict:
    out, _ = run(grid_pipeline(), {"baseline.checkpoint": baseline["baseline.checkpoint"],
                                   **sets_feed(data),
                                   **params_feed(params, "grid", "finetune", "method", "data",
                                                 "evaluation")})
    return out["grid_metrics"]


@pytest.fixture(scope="module")
def seeds(params, data, baseline, posebh) -> dict:
    """``seeds`` with the posebh predictions standing in for the other fine-tunes' seed 0."""
    ab = matrix().ablation
    preds = {f"{v}.predictions": baseline["baseline.predictions"] if v == ab.baseline
             else posebh["posebh.predictions"] for v in ab.variants}
    out, _ = run(seeds_pipeline(), {"baseline.checkpoint": baseline["baseline.checkpoint"],
                                    **preds, **sets_feed(data),
                                    **params_feed(params, "seeds", "model", "train", "finetune",
                                                  "method", "data", "evaluation")})
    return out


@pytest.fixture(scope="module")
def transfer(params, data, baseline, posebh) -> dict:
    """One target, inits scratch/baseline/posebh (``aic_only.checkpoint`` is a node input all
    the same: a placeholder the run must not read)."""
    pipe = transfer_pipeline().only_nodes(f"transfer_{TARGET}")
    p = copy.deepcopy(params)
    p["transfer"]["inits"] = list(INITS)
    out, _ = run(pipe, {"baseline.checkpoint": baseline["baseline.checkpoint"],
                        "posebh.checkpoint": posebh["posebh.checkpoint"],
                        "aic_only.checkpoint": None,
                        **sets_feed(data, (TARGET,)),
                        **params_feed(p, "transfer", "method", "data", "evaluation")})
    return out


@pytest.fixture(scope="module")
def cross(params, data, baseline, posebh) -> dict:
    """``cross_skeleton`` on the slices' models (conf/test: baseline and posebh; the other
    ablation variants' inputs are placeholders the run must not read)."""
    (node,) = cross_pipeline().nodes
    ran = {"hidden_truth": data["hidden_truth"], **baseline, **posebh,
           **params_feed(params, "cross_skeleton", "data", "evaluation")}
    return run(cross_pipeline(), {name: ran.get(name) for name in node.inputs})[0]  # metrics, scores


# ----------------------------------------------------------------------------- slices

def test_download_embedded_profile_is_a_no_op_without_network(params, tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the download slice opened a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    p = copy.deepcopy(params)
    p["data"]["image_root"] = str(tmp_path)
    out, _ = run(download_pipeline(), params_feed(p, "data"))
    assert out == {"raw_data_status": {"source": "synthetic", "datasets": {}}}
    assert not any(tmp_path.iterdir())  # nothing fetched or unpacked


def test_data_renders_every_split_under_the_image_root(params, data):
    root = Path(params["data"]["image_root"]).resolve()
    expected = {f"{d}_{s}" for d in ALL_SETS for s in ("train", "val")}
    assert set(data) == expected | {"apt36k_test", "apt36k_split_summary", "intermediate_digest",
                                    "hidden_truth", *UNSEEN}
    assert data["intermediate_digest"]["image_files"] == sum(1 for p in root.rglob("*.png"))
    for name in sorted(expected | {"apt36k_test"}):
        dataset = name.rsplit("_", 1)[0]
        coco = validate_coco(data[name], name, dataset)
        assert coco["images"] and len(coco["annotations"]) == len(coco["images"])
        if dataset != "apt36k":
            assert len(coco["images"]) == SIZES[dataset][name.rsplit("_", 1)[1]]
        image_root = Path(coco["info"]["image_root"]).resolve()
        assert image_root.is_relative_to(root)
        check_image_files(coco, image_root, name)  # each listed file exists with its size


def test_data_hidden_truth_replays_every_source_val_split(data):
    """Target == source is the published val split; the other targets cover the same images."""
    truth = data["hidden_truth"]
    assert set(truth) == set(skeletons.SOURCES)
    for source, per_target in truth.items():
        published = data[f"{source}_val"]
        assert per_target[source] == published, source
        for target, coco in per_target.items():
            assert skeletons.get(target).domain == skeletons.get(source).domain
            assert coco["images"] == published["images"] and coco["info"] == published["info"]


def test_data_apt36k_split_is_by_video(data):
    videos = {s: {img["video_id"] for img in data[f"apt36k_{s}"]["images"]}
              for s in ("train", "val", "test")}
    assert all(videos.values())
    assert not (videos["train"] & videos["val"] or videos["train"] & videos["test"]
                or videos["val"] & videos["test"])
    assert set().union(*videos.values()) == set(range(1, APT36K["videos"] + 1))
    summary = data["apt36k_split_summary"]
    assert {s: summary[s]["videos"] for s in videos} == {s: len(v) for s, v in videos.items()}
    assert summary["train"]["videos"] > summary["val"]["videos"]


def test_train_baseline_slice(params, data, baseline):
    assert set(baseline) == {"baseline.checkpoint", "baseline.history", "baseline.predictions",
                             "baseline.metrics"}
    ckpt = baseline["baseline.checkpoint"]
    assert {"model_cfg", "state_dict", "train_cfg", "fingerprint"} <= set(ckpt)
    assert "method_cfg" not in ckpt  # a scratch variant: no PoseBH modules
    assert ckpt["model_cfg"]["embed_dim"] == params["model"]["embed_dim"]
    assert list(ckpt["model_cfg"]["img_size"]) == params["model"]["img_size"]
    assert ckpt["fingerprint"]["variant"] == "baseline"
    assert ckpt["train_cfg"]["epochs"] == params["train"]["epochs"]
    assert all(torch.is_tensor(t) for t in ckpt["state_dict"].values())
    history = baseline["baseline.history"]
    assert len(history) == params["train"]["epochs"]
    assert all(h["loss"] > 0 for h in history)
    metrics, predictions = baseline["baseline.metrics"], baseline["baseline.predictions"]
    assert set(metrics) == set(predictions) == set(ckpt["model_cfg"]["datasets"])
    for d, m in metrics.items():
        assert in_unit_interval(headline_ap(d, m)), (d, m)
        assert in_unit_interval(m["PCK@0.2"]) and m["GFLOPs"] > 0 and "seconds" not in m
        # top-down with GT boxes: one result per val instance
        assert len(predictions[d]) == len(data[f"{d}_val"]["annotations"])


def test_finetune_posebh_slice(params, baseline, posebh):
    assert set(posebh) == {"posebh.checkpoint", "posebh.history", "posebh.prototypes",
                           "posebh.predictions", "posebh.metrics"}
    ckpt = posebh["posebh.checkpoint"]
    method = params["method"]
    assert ckpt["method_cfg"]["embed_dim"] == method["embed_dim"]
    assert list(ckpt["method_cfg"]["phases"]) == method["phases"]
    assert ckpt["model_cfg"] == baseline["baseline.checkpoint"]["model_cfg"]
    assert len(posebh["posebh.history"]) == params["finetune"]["epochs"]
    protos = posebh["posebh.prototypes"]
    datasets = ckpt["model_cfg"]["datasets"]
    joints = sum(skeletons.get(d).num_keypoints for d in datasets)
    assert tuple(protos["bank"].shape) == (joints, method["num_prototypes"], method["embed_dim"])
    assert [d for d, _ in protos["labels"]] == [
        d for d in datasets for _ in range(skeletons.get(d).num_keypoints)]  # bank rows in head order
    assert torch.isfinite(torch.as_tensor(protos["bank"])).all()
    assert set(posebh["posebh.metrics"]) == set(datasets)
    for d, m in posebh["posebh.metrics"].items():
        assert in_unit_interval(headline_ap(d, m)), (d, m)


def test_ablation_composes_the_train_finetune_and_seeds_nodes():
    pipe = ablation_pipeline()
    assert {n.namespace for n in pipe.nodes} == set(matrix().ablation.variants) | {None}
    shared = {id(n) for p in (train_pipeline(), finetune_pipeline(), seeds_pipeline())
              for n in p.nodes}
    assert {id(n) for n in pipe.nodes} <= shared  # the same objects: __default__ holds each once
    # self-contained: the baseline it fine-tunes from is trained inside it
    assert "baseline.checkpoint" not in pipe.inputs()
    sets = {f"{d}_{s}" for d in skeletons.SOURCES for s in ("train", "val")} | set(UNSEEN)
    blocks = {f"params:{b}" for b in ("model", "train", "finetune", "method", "data", "evaluation",
                                      "seeds")}
    assert pipe.inputs() == sets | blocks
    assert {f"{v}.metrics" for v in matrix().ablation.variants} <= pipe.outputs()
    assert {"ablation_seeds", "ablation_seed_scores"} <= pipe.outputs()


def test_seeds_runs_every_ablation_variant_with_each_extra_seed(params, posebh, seeds):
    ab = matrix().ablation
    values, scores = seeds["ablation_seeds"], seeds["ablation_seed_scores"]
    extra = [str(s) for s in params["seeds"]["extra"]]
    assert set(values) == set(ab.variants)
    assert list(values[ab.baseline]) == ["0"]  # shared baseline: its own stage's seed only
    for v in ab.variants:
        if v != ab.baseline:
            assert list(values[v]) == ["0", *extra]
        assert set(scores[v]) == set(values[v])
    # seed 0 is the variant's own stage: the value equals its metrics file
    own = posebh["posebh.metrics"]
    assert values["posebh"]["0"]["coco"] == pytest.approx(100 * own["coco"]["AP"], abs=1e-3)
    assert values["posebh"]["0"]["mpii"] == pytest.approx(own["mpii"]["PCKh"], abs=1e-3)
    # another seed is another run (init, order, augmentation): its scores differ
    assert scores["posebh"][extra[0]]["coco"]["oks"] != scores["posebh"]["0"]["coco"]["oks"]


def test_grid_runs_the_profile_points(params, grid):
    points = matrix().grids
    assert set(grid) == set(params["grid"]["run"]) == {"F_32"}
    for name, result in grid.items():
        point = points[name]
        assert (result["table"], result["param"], result["value"]) == (
            point.table, point.param, point.value)
        assert set(result["metrics"]) == set(params["grid"]["evaluate"])
        assert all(in_unit_interval(m["AP"]) for m in result["metrics"].values())
        assert "train_seconds" not in result  # timings stay out of metrics files (#15)


def test_transfer_one_target(params, posebh, transfer):
    metrics = transfer[f"transfer_{TARGET}_metrics"]
    assert list(metrics) == INITS
    for init, m in metrics.items():
        assert in_unit_interval(m["AP"]) and in_unit_interval(m["PCK@0.2"]), (init, m)
        assert m["final_loss"] > 0 and not {"seconds", "train_seconds"} & set(m)
    protos = transfer[f"transfer_{TARGET}_prototypes"]  # the posebh init's new target bank
    k = skeletons.get(TARGET).num_keypoints
    method = posebh["posebh.checkpoint"]["method_cfg"]
    assert tuple(protos["bank"].shape) == (k, method["num_prototypes"], method["embed_dim"])
    assert {d for d, _ in protos["labels"]} == {TARGET}


def test_cross_skeleton_slice_diagonal_is_the_evaluate_number(params, cross, posebh):
    scores, cross = cross["cross_skeleton_scores"]["cells"], cross["cross_skeleton_metrics"]
    assert params["cross_skeleton"]["models"] == ["baseline", "posebh"] == list(scores)
    assert set(cross["matrix"]) == {"baseline", "posebh"} and set(cross["css_audit"]) == {"posebh"}
    own = posebh["posebh.metrics"]
    for d in ("coco", "aic", "ap10k", "apt36k"):  # the OKS datasets
        assert cross["matrix"]["posebh"][d][d]["AP"] == own[d]["AP"], d
    assert set(cross["matrix"]["posebh"]["coco"]) == {"coco", "aic", "mpii", "coco_wholebody"} \
        == set(scores["posebh"]["coco"])
    assert set(cross["css_audit"]["posebh"]["ap10k"]) == {"apt36k"}


def test_report_on_the_slices_outputs(params, data, baseline, posebh, grid, seeds, transfer, cross):
    """The report on what the slices above produced; every other variant / target not run."""
    pipe = report_pipeline()
    (node,) = pipe.nodes
    ran = {**baseline, **posebh, "grid_metrics": grid, **seeds, **transfer, **cross}
    feed = params_feed(params, *REPORT_PARAMS)
    for name in set(node.inputs) - set(feed):  # a run's output, a data split, or "not run"
        feed[name] = ran.get(name, data.get(name, [] if name.endswith(".history") else {}))
    out, _ = run(pipe, feed)
    assert set(out) == set(REPORT_OUTPUTS + paper_table_outputs())
    page = out["report_html"]
    assert isinstance(page, str) and "Provenance" in page and params["report"]["note"] in page
    for name in ("report_table", "report_transfer_table", "report_neighbours",
                 *paper_table_outputs()):
        assert isinstance(out[name], pd.DataFrame), name
    assert {"baseline", "posebh"} <= set(out["report_table"]["variant"])
    assert set(out["report_transfer_table"]["init"]) == set(INITS)
    assert not out["report_neighbours"].empty  # the posebh bank (+ the pw3d bank) was embedded
    headline = out["report_metrics"]
    assert headline["baseline"]["coco"]["AP"] == pytest.approx(
        100 * baseline["baseline.metrics"]["coco"]["AP"], abs=1e-3)
    assert headline["grid:F_32"]["coco"]["AP"] == pytest.approx(
        100 * grid["F_32"]["metrics"]["coco"]["AP"], abs=1e-3)  # grid points join as variants
    assert set(headline["transfer"]) == {f"{TARGET}.{i}" for i in INITS}
    seed_table = out["report_evidence_tables"]["table5_seeds"]
    assert set(seed_table["variant"]) == set(matrix().ablation.variants)
    assert 'id="seeds"' in page
