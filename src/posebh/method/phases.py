"""The three-phase PoseBH fine-tuning schedule (§4.2, supplement C.4), scaled to any epoch count.

| phase | epochs (of 100) | backbone | heads | embedding | prototypes | negatives | CSS |
|---|---|---|---|---|---|---|---|
| 1 | 0-49  | frozen | frozen | trained | momentum | off | off |
| 2 | 50-89 | frozen | trained | trained | frozen | on (K-means at 50) | from css_start |
| 3 | 90-99 | trained | trained | trained | frozen | on | on |

Boundaries are ``int(fraction * epochs)``. Transfer fine-tuning has its own two phases
(``transfer_phase_at``). Frozen modules get ``requires_grad=False`` *and* eval
mode (BN statistics and drop-path frozen too; the released code only clears ``requires_grad``).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn


@dataclass(frozen=True)
class Phase:
    index: int  # 1, 2, 3
    train_backbone: bool
    train_heads: bool
    update_prototypes: bool
    negatives: bool
    css: bool
    train_embed: bool = True


def boundaries(epochs: int, fractions: tuple[float, float]) -> tuple[int, int]:
    """Epochs where phases 2 and 3 start (100 epochs, (0.5, 0.9) -> (50, 90))."""
    return int(fractions[0] * epochs), int(fractions[1] * epochs)


def phase_at(epoch: int, epochs: int, fractions: tuple[float, float], negatives: bool, css: bool,
             css_start: float) -> Phase:
    """The phase of ``epoch`` (0-based) in a run of ``epochs``."""
    b1, b2 = boundaries(epochs, fractions)
    css_on = css and epoch >= max(int(css_start * epochs), b1)
    if epoch < b1:
        return Phase(1, False, False, True, False, False)
    if epoch < b2:
        return Phase(2, False, True, False, negatives, css_on)
    return Phase(3, True, True, False, negatives, css_on)


def transfer_phase_at(epoch: int, epochs: int, fraction: float = 0.5) -> Phase:
    """PoseBH transfer (§4.5, design note §1.9): the embedding module stays frozen; first the new
    head trains and the target's new prototypes are learned by momentum with the backbone frozen,
    then backbone and head fine-tune with the prototype loss and the prototypes frozen."""
    first = epoch < int(fraction * epochs)
    return Phase(1 if first else 2, train_backbone=not first, train_heads=True,
                 update_prototypes=first, negatives=False, css=False, train_embed=False)


def _set(module: nn.Module, trainable: bool) -> None:
    module.train(trainable)
    for p in module.parameters():
        p.requires_grad_(trainable)


def apply_phase(model: nn.Module, phase: Phase) -> None:
    """Freeze/thaw backbone, heads and embedding module; the bank is never trained by SGD."""
    _set(model.backbone, phase.train_backbone)
    _set(model.heads, phase.train_heads)
    _set(model.embed, phase.train_embed)
