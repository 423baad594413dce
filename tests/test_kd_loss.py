"""The KD baseline's loss (issue #17, Eqs. 6-8): each test goes red if its term is removed."""

import pytest
import torch

from posebh.kd_loss import (
    PAPER_BETAS,
    Teacher,
    conditional_keypoint_loss,
    distillation_loss,
    heatmap_kl,
    instance_share_betas,
    kd_loss,
)

B, K, H, W = 2, 5, 4, 3  # union of 5 keypoints


def _batch(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    pred = torch.randn(B, K, H, W, generator=g, requires_grad=True)
    target = torch.rand(B, K, H, W, generator=g)
    labelled = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 0, 0]])  # the source annotates 0-2
    teacher = Teacher("mpii", torch.randn(B, 3, H, W, generator=g), torch.tensor([1, 3, 4]))
    return pred, target, labelled, teacher


def test_alpha_one_reduces_to_the_masked_keypoint_loss():
    pred, target, labelled, teacher = _batch()
    out = kd_loss(pred, target, labelled, [teacher], {"mpii": 0.7}, alpha=1.0)
    assert torch.equal(out["total"], conditional_keypoint_loss(pred, target, labelled))
    assert out["kd_mpii"] > 0  # computed, but weighted by 1 - alpha = 0


def test_kl_is_zero_when_the_student_equals_the_teacher_and_positive_otherwise():
    x = torch.randn(B, K, H, W)
    assert heatmap_kl(x, x.clone()).abs() < 1e-6
    assert heatmap_kl(x, torch.randn(B, K, H, W)) > 0.01


def test_an_unlabelled_keypoint_gets_no_gradient_from_l_ck_but_one_from_its_teacher():
    pred, target, labelled, teacher = _batch()
    conditional_keypoint_loss(pred, target, labelled).backward()
    grad = pred.grad.abs().sum(dim=(0, 2, 3))
    assert torch.all(grad[3:] == 0) and torch.all(grad[:3] > 0)
    pred.grad = None
    kd_loss(pred, target, labelled, [teacher], {"mpii": 0.25})["total"].backward()
    grad = pred.grad.abs().sum(dim=(0, 2, 3))
    assert torch.all(grad[3:] > 0)  # the teacher fills the keypoints the source lacks
    assert teacher.heatmaps.grad is None  # teachers are never trained


def test_the_total_is_eq_8_and_a_teacher_reaches_only_its_union_channels():
    pred, target, labelled, teacher = _batch()
    out = kd_loss(pred, target, labelled, [teacher], {"mpii": 0.25}, alpha=0.3)
    assert float(out["total"]) == pytest.approx(float(0.3 * out["ck"] + 0.7 * 0.25 * out["kd_mpii"]), rel=1e-6)
    pred.grad = None
    out["kd_mpii"].backward()
    grad = pred.grad.abs().sum(dim=(0, 2, 3))
    assert grad[0] == 0 and grad[2] == 0 and torch.all(grad[[1, 3, 4]] > 0)


def test_betas_paper_pair_and_the_instance_share_rule():
    assert instance_share_betas({"coco": 150_000, "mpii": 40_000}) == PAPER_BETAS
    betas = instance_share_betas({"coco": 3, "aic": 1}, alpha=0.3)
    assert betas == pytest.approx({"coco": 0.525, "aic": 0.175}) and sum(betas.values()) == pytest.approx(0.7)
    with pytest.raises(ValueError, match="no beta for teacher"):
        kd_loss(*_batch()[:3], [_batch()[3]], {"coco": 0.5})


def test_a_teacher_on_some_rows_adds_its_kl_per_image_of_the_whole_batch():
    pred, _, _, teacher = _batch()
    rows = torch.tensor([False, True])
    part = Teacher("mpii", teacher.heatmaps[rows], teacher.union_index, rows)
    alone = heatmap_kl(pred[1:, teacher.union_index], teacher.heatmaps[1:])
    assert float(distillation_loss(pred, part)) == pytest.approx(float(alone) / B)
    pred.grad = None
    distillation_loss(pred, part).backward()
    assert pred.grad[0].abs().sum() == 0 and pred.grad[1].abs().sum() > 0  # only the rows it saw
    none = Teacher("mpii", teacher.heatmaps[:0], teacher.union_index, torch.zeros(B, dtype=torch.bool))
    assert float(distillation_loss(pred, none)) == 0
