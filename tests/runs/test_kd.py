"""The ``kd`` stage end to end on tiny rendered data (issue #17): teachers, both students, their
metrics and cross-skeleton rows, the Kedro glue, determinism, and the ``kd`` block's errors."""

from __future__ import annotations

import copy
import json

import pytest
import torch
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from support import profile_params

from posebh import skeletons
from posebh.configs import ConfigError
from posebh.data import hidden, synthetic
from posebh.evaluation.bootstrap import BootstrapConfig
from posebh.evaluation.cross_bootstrap import off_diagonal_intervals, parse
from posebh.pipelines.kd import create_pipeline
from posebh.runs.config import CrossSkeletonConfig, EvalConfig
from posebh.runs.cross_skeleton import cross_skeleton_rows, first_images
from posebh.runs.kd import ABLATION, STUDENT, TEACHER, KDConfig, run_kd
from posebh.zoo.checkpoint import build_model, from_checkpoint, to_checkpoint

DATASETS = ("coco", "mpii")
MODEL = {"img_size": [32, 32], "embed_dim": 16, "depth": 1, "num_heads": 2, "mlp_ratio": 2.0,
         "part_features": 4, "head_channels": 8, "datasets": list(DATASETS)}
TRAIN = {"epochs": 1, "batch_size": 4, "device": "cpu", "amp": "none", "num_threads": 1,
         "optim": {"lr": 1e-3, "warmup_iters": 1, "lr_steps": [1]}}
FINETUNE = {**TRAIN, "epochs": 2, "heads_on_full_batch": True}
DATA = {"sigma": 2.0, "seed": 0}
EVAL = {"device": "cpu", "flip_test": False, "batch_size": 8}
KD = {"teachers": list(DATASETS), "teacher_train": {"epochs": 1}}
CROSS = {"max_images": 2}
CANVAS = (64, 64)

# the node reads "baseline.checkpoint" (a Kedro namespace name, as finetune and transfer do)
pytestmark = pytest.mark.filterwarnings("ignore:One or more dataset names contain '.' characters:UserWarning")


@pytest.fixture(scope="module")
def sets(tmp_path_factory) -> tuple[dict, dict, dict]:
    root = tmp_path_factory.mktemp("kd")
    train, val, truth = {}, {}, {}
    for d in DATASETS:
        for split, n, seed, out in (("train", 8, 0, train), ("val", 3, 1, val)):
            coco = synthetic.render_split(d, n, seed=seed, image_dir=root / d / split, canvas=CANVAS)
            coco["info"]["image_root"] = str(root / d / split)
            out[d] = coco
        truth[d] = hidden.hidden_split(d, 3, 1, CANVAS, str(root / d / "val"), targets=DATASETS)
    return train, val, truth


@pytest.fixture(scope="module")
def baseline() -> dict:
    torch.manual_seed(0)
    return to_checkpoint(build_model(MODEL))


def _run(sets, baseline, kd=KD) -> tuple[dict, dict, dict, dict]:
    train, val, truth = sets
    return run_kd(KDConfig.from_dict(kd), baseline, MODEL, TRAIN, FINETUNE, DATA, train, val,
                  truth, CrossSkeletonConfig.from_dict(CROSS), EvalConfig.from_dict(EVAL))


@pytest.fixture(scope="module")
def ran(sets, baseline) -> tuple[dict, dict, dict, dict]:
    return _run(sets, baseline)


def test_every_model_is_scored_as_the_trained_variants_are(ran):
    metrics, _, _, ckpt = ran
    per = metrics["per_dataset"]
    assert list(per) == [TEACHER.format("coco"), TEACHER.format("mpii"), STUDENT, ABLATION]
    assert list(per[TEACHER.format("mpii")]) == ["mpii"] and list(per[STUDENT]) == list(DATASETS)
    assert {"AP", "PCK@0.2", "GFLOPs"} <= set(per[STUDENT]["coco"]) and "PCKh" in per[STUDENT]["mpii"]
    net = from_checkpoint(ckpt)  # a plain per-dataset multi-head model
    assert net.cfg.label_space == "per_dataset" and list(net.heads) == list(DATASETS)
    assert ckpt["union"]["names"][:17] == list(skeletons.get("coco").keypoints)
    assert len(ckpt["union"]["names"]) == metrics["setup"]["union_keypoints"] == 21
    setup = metrics["setup"]
    assert setup["betas"] == {"coco": 0.45, "mpii": 0.25}  # the paper's pair (instance-share rule)
    assert setup["teacher_epochs"] == {"coco": 1, "mpii": 1} and setup["student_steps"] == 8  # 2 epochs of 16 / 4


def test_both_students_get_cross_skeleton_rows_scored_like_the_cross_skeleton_stage(sets, ran):
    metrics, scores, _, ckpt = ran
    assert set(metrics["matrix"]) == set(scores["cells"]) == {STUDENT, ABLATION}
    assert set(metrics["matrix"][STUDENT]) == set(DATASETS)
    truth = first_images(sets[2], CROSS["max_images"])
    rows, cells = cross_skeleton_rows(STUDENT, ckpt, truth, *_sample_eval())
    assert metrics["matrix"][STUDENT]["coco"]["mpii"]["AP"] == rows[1]["AP"]
    assert json.dumps(cells) == json.dumps(scores["cells"][STUDENT])
    assert scores["units"] == {"coco": 2, "mpii": 2}
    parsed, units = parse(scores)  # what the report bootstraps: KD vs its ablation, paired
    out = off_diagonal_intervals(parsed, units, ABLATION, STUDENT, BootstrapConfig(20, 0.9))
    assert [r["model"] for r in out] == [STUDENT, ABLATION, f"{STUDENT} − {ABLATION}"]


def _sample_eval():
    from posebh.runs.config import SampleConfig

    return SampleConfig.from_data(DATA), EvalConfig.from_dict(EVAL)


def test_timings_hold_the_teacher_cost_and_the_metrics_no_wall_time(ran):
    metrics, _, timings, _ = ran
    cost = timings["students"][STUDENT]
    assert cost["steps"] == 8 and cost["teacher_forwards"] == 2 * 8  # two human teachers a step
    assert cost["teacher_images"] == 2 * 8 * 4 and cost["teacher_seconds"] >= 0  # every row
    assert timings["students"][ABLATION]["teacher_forwards"] == 0
    assert set(timings["teachers"]) == set(DATASETS)
    assert all(t["train_seconds"] > 0 and t["steps"] == 2 for t in timings["teachers"].values())
    assert "seconds" not in json.dumps(metrics)


def test_the_kedro_node_reruns_the_stage_bit_for_bit(sets, baseline, ran):
    train, val, truth = sets
    feed = {"baseline.checkpoint": baseline, "hidden_truth": truth,
            **{f"params:{k}": copy.deepcopy(v) for k, v in (
                ("kd", KD), ("model", MODEL), ("train", TRAIN), ("finetune", FINETUNE),
                ("data", DATA), ("evaluation", EVAL), ("cross_skeleton", CROSS))},
            **{f"{d}_train": train.get(d, {}) for d in skeletons.SOURCES},
            **{f"{d}_val": val.get(d, {}) for d in skeletons.SOURCES}}
    catalog = DataCatalog({k: MemoryDataset(v) for k, v in feed.items()})
    out = {k: d.load() for k, d in SequentialRunner().run(create_pipeline(), catalog).items()}
    metrics, scores, _, ckpt = ran
    assert json.dumps(out["kd_metrics"]) == json.dumps(metrics)  # deterministic, run to run
    assert json.dumps(out["kd_cross_skeleton_scores"]) == json.dumps(scores)
    for k, v in ckpt["state_dict"].items():
        assert torch.equal(out["kd_student_checkpoint"]["state_dict"][k], v), k


BAD = [({"teachers": ["coco", "halpe"]}, r"^kd\.teachers\.1: not a source dataset"),
       ({"teachers": ["coco", "coco"]}, r"^kd\.teachers: a teacher is listed twice"),
       ({"alpha": 1.5}, r"^kd\.alpha: "),
       ({"teachers": ["coco"], "betas": {"mpii": 0.2}}, r"^kd\.betas\.mpii: not one of kd\.teachers"),
       ({"teacher_train": {"epochs": 0}}, r"^kd\.teacher_train\.epochs: ")]


@pytest.mark.parametrize(("block", "message"), BAD)
def test_a_bad_kd_block_is_a_one_line_error_naming_the_parameter(block, message):
    with pytest.raises(ConfigError, match=message) as err:
        KDConfig.from_dict(block).teacher_run("coco", MODEL, TRAIN, DATA)
    assert "\n" not in str(err.value)


def test_a_teacher_the_baseline_lacks_is_named(sets, baseline):
    with pytest.raises(ConfigError, match=r"^kd\.teachers: not datasets of the baseline"):
        _run(sets, baseline, {"teachers": ["coco", "ap10k"]})


@pytest.mark.parametrize("env", ["base", "paper", "paper_smoke", "study", "test"])
def test_every_profiles_kd_block_parses_and_its_teachers_train_as_aic_only(env):
    p = profile_params(env)
    kd = KDConfig.from_dict(p["kd"])
    run = kd.teacher_run(kd.teachers[0], p["model"], p["train"], p["data"])
    assert run.model.datasets == (kd.teachers[0],) and run.model.part_features == 0
    assert run.model.img_size == tuple(p["model"]["img_size"])
