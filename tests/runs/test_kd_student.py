"""The KD student (issue #17): union head, union targets, the objective, frozen teachers.

Each method test goes red when the thing it tests is removed: the α = 1 test when the objective
still runs its teachers, the distillation test when the KL term is detached or β is zero, the
frozen-teacher test when a teacher joins the student's optimiser.
"""

from __future__ import annotations

import pytest
import torch
from tiny import TINY, TinyKeypoints

from posebh import skeletons
from posebh.kd_loss import conditional_keypoint_loss, heatmap_kl
from posebh.models.config import ModelConfig
from posebh.models.multihead import MultiHeadPose
from posebh.runs.kd_student import (
    FrozenTeacher,
    KDObjective,
    UnionTargets,
    student_checkpoint,
    student_from_baseline,
)
from posebh.skeleton_union import build_union
from posebh.training.config import OptimConfig, TrainConfig
from posebh.training.trainer import train_multihead
from posebh.zoo.checkpoint import from_checkpoint, to_checkpoint

DATASETS = ("coco", "aic")  # TINY's: union 17 + 2 (AIC's head_top and neck = upper_neck)
UNION = build_union(DATASETS)
AIC_ONLY = [UNION.position(n) for n in UNION.unique("aic")]


def _strong(head: torch.nn.Module, std: float) -> None:
    """The head's convolutions drawn with ``std`` (the init's 0.001 gives nearly flat heatmaps
    and features; 0.3, a spatial pattern to distil and to learn)."""
    for m in head.modules():
        if std and isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            torch.nn.init.normal_(m.weight, std=std)


def _baseline(seed: int = 0, std: float = 0.0) -> dict:
    torch.manual_seed(seed)
    net = MultiHeadPose(ModelConfig(**TINY))
    for head in net.heads.values():
        _strong(head, std)
    return to_checkpoint(net)


def _teacher(name: str = "aic", std: float = 0.0, seed: int = 1) -> MultiHeadPose:
    """A single-dataset model (the teachers' recipe), its head drawn with ``std`` (``_strong``)."""
    torch.manual_seed(seed)
    net = MultiHeadPose(ModelConfig(**{**TINY, "datasets": (name,), "part_features": 0}))
    _strong(net.heads[name], std)
    return net


def _batch(n: int = 4, idx: int = 0) -> dict[str, torch.Tensor]:
    ds = TinyKeypoints(idx, 17 if idx == 0 else 14)
    return torch.utils.data.default_collate([ds[i] for i in range(n)])


def test_student_heads_map_union_channels_to_each_datasets_keypoints_in_order():
    net = student_from_baseline(_baseline(), UNION)
    feats = net.backbone(torch.randn(2, 3, 32, 32), torch.tensor([0, 1]))
    union_out = net.heads["_merged"](feats)  # (2, 19, 8, 8)
    assert union_out.shape[1] == UNION.num_keypoints == 19
    plain = from_checkpoint(student_checkpoint(net, UNION))  # a per_dataset model, as evaluated
    assert plain.cfg.label_space == "per_dataset" and isinstance(plain.heads["aic"].final.weight,
                                                                 torch.Tensor)
    for d in DATASETS:
        idx = list(UNION.index[d])
        assert torch.equal(net.heads[d](feats), union_out[:, idx])
        torch.testing.assert_close(plain.heads[d](feats), union_out[:, idx], rtol=0, atol=1e-6)
    aic_neck = UNION.index["aic"][13]  # AIC keypoint 13 'neck' is the union's upper_neck
    assert UNION.names[aic_neck] == "upper_neck" and UNION.members("coco")[0] == "nose"


def test_union_head_starts_as_the_first_baseline_head_and_the_others_rows_elsewhere():
    base = _baseline(std=0.3)
    net = student_from_baseline(base, UNION)
    w = base["state_dict"]
    coco = MultiHeadPose(ModelConfig(**TINY))
    coco.load_state_dict(w)
    feats = coco.backbone(torch.randn(2, 3, 32, 32), torch.tensor([0, 0]))
    coco.eval(), net.eval()
    assert torch.equal(net.heads["coco"](feats), coco.heads["coco"](feats))  # COCO as the baseline
    shoulder = UNION.position("left_shoulder")  # COCO's row, not a mean with AIC's
    assert torch.equal(net.heads["_merged"].final.weight[shoulder], w["heads.coco.final.weight"][5])
    assert torch.equal(net.heads["_merged"].final.weight[UNION.position("head_top")],
                       w["heads.aic.final.weight"][skeletons.get("aic").index("head_top")])


def test_union_targets_put_each_rows_keypoints_on_their_union_channels():
    batch = {k: torch.cat([_batch(2, 0)[k], _batch(2, 1)[k]]) for k in ("target", "target_weight",
                                                                        "dataset_idx")}
    target, labelled = UnionTargets(DATASETS, UNION)(batch["target"], batch["target_weight"],
                                                     batch["dataset_idx"])
    for row, d in ((0, "coco"), (2, "aic")):
        k = len(UNION.index[d])
        assert torch.equal(target[row, list(UNION.index[d])], batch["target"][row, :k])
        assert torch.equal(labelled[row], torch.tensor(UNION.mask(d), dtype=labelled.dtype))
    assert target[2, UNION.position("nose")].abs().sum() == 0  # AIC has no nose


def test_alpha_one_is_the_masked_loss_and_runs_no_teacher():
    net = student_from_baseline(_baseline(), UNION)
    teacher = FrozenTeacher.build("aic", _teacher(), UNION, DATASETS, False)
    teacher.model.forward = lambda *a, **k: pytest.fail("a teacher ran at alpha = 1")
    obj = KDObjective(net, UNION, [teacher], {"aic": 0.7}, alpha=1.0)
    batch = _batch()
    terms = obj(batch)
    pred = net.heads["_merged"](net.backbone(batch["image"], batch["dataset_idx"]))
    target, labelled = obj.targets(batch["target"], batch["target_weight"], batch["dataset_idx"])
    assert set(terms) == {"ck"}
    assert torch.equal(terms["ck"], conditional_keypoint_loss(pred, target, labelled))
    assert obj.cost["teacher_forwards"] == obj.cost["teacher_images"] == 0


def _distil(beta: float, steps: int = 12) -> tuple[float, float]:
    """KL(student ‖ teacher) on AIC's own keypoints that COCO lacks, on COCO images, before and
    after ``steps`` Adam steps on the student's final conv (everything else fixed)."""
    net = student_from_baseline(_baseline(std=0.3), UNION).eval()  # BN statistics fixed
    net.requires_grad_(False)
    net.heads["_merged"].final.requires_grad_(True)  # only the final conv moves
    teacher = FrozenTeacher.build("aic", _teacher(std=0.3), UNION, DATASETS, False)
    obj = KDObjective(net, UNION, [teacher], {"aic": beta}, alpha=0.3)
    batch = _batch(idx=0)  # COCO rows: AIC's head_top / neck are unlabelled there
    zero = torch.zeros(4, dtype=torch.long)
    with torch.no_grad():
        feats = net.backbone(batch["image"], batch["dataset_idx"])
        t = teacher.model(batch["image"], zero)["aic"][:, [12, 13]]  # head_top, neck

    def kl() -> float:
        with torch.no_grad():
            return float(heatmap_kl(net.heads["_merged"](feats)[:, AIC_ONLY], t))

    before = kl()
    opt = torch.optim.Adam(net.heads["_merged"].final.parameters(), lr=5e-2)
    for _ in range(steps):
        opt.zero_grad()
        sum(obj(batch).values()).backward()
        opt.step()
    return before, kl()


def test_the_kd_term_moves_the_student_toward_its_teacher_on_an_unlabelled_keypoint():
    before, after = _distil(beta=0.7)
    assert after < 0.75 * before
    before0, after0 = _distil(beta=0.0)
    assert before0 == before and after0 == before  # no teacher: no gradient on those rows


def test_teacher_parameters_stay_bit_identical_through_student_steps():
    net = student_from_baseline(_baseline(), UNION)
    teacher = FrozenTeacher.build("aic", _teacher(std=0.3), UNION, DATASETS, False)
    before = {k: v.clone() for k, v in teacher.model.state_dict().items()}
    student = {k: v.clone() for k, v in net.state_dict().items()}
    obj = KDObjective(net, UNION, [teacher], {"aic": 0.7}, alpha=0.3)
    cfg = TrainConfig(epochs=1, batch_size=4, optim=OptimConfig(lr=1e-2, warmup_iters=1,
                                                                lr_steps=()))
    data = [TinyKeypoints(0, 17), TinyKeypoints(1, 14)]
    hist = train_multihead(net, data, cfg, torch.device("cpu"), obj, progress=False)
    assert hist[0]["kd_aic"] > 0 and obj.cost["teacher_forwards"] == obj.cost["steps"] == 4
    for k, v in teacher.model.state_dict().items():  # BN running statistics included
        assert torch.equal(v, before[k]), k
    assert any(not torch.equal(v, student[k]) for k, v in net.state_dict().items())
    assert not teacher.model.training


def test_a_teacher_sees_only_its_own_domains_rows_unless_told_otherwise():
    union = build_union(("coco", "ap10k"))
    own = FrozenTeacher.build("coco", _teacher("coco"), union, ("coco", "ap10k"), False)
    every = FrozenTeacher.build("coco", _teacher("coco"), union, ("coco", "ap10k"), True)
    assert own.sees.tolist() == [True, False] and every.sees.tolist() == [True, True]
    with pytest.raises(ValueError, match="single-dataset model of coco"):
        FrozenTeacher.build("coco", MultiHeadPose(ModelConfig(**TINY)), union, ("coco",), False)
