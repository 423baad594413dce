"""LoRA through peft on the timm ViT: a no-op at initialisation, merges exactly, trains only the
adapters (#16 item 5)."""

from __future__ import annotations

import pytest
import torch
from test_freeze import model, trained_by

from posebh.training.lora import add_lora, lora_layers, merge_lora

X, D = torch.randn(3, 3, 32, 32, generator=torch.Generator().manual_seed(1)), torch.zeros(3, dtype=torch.long)


def outputs(net: torch.nn.Module) -> torch.Tensor:
    net.eval()
    with torch.no_grad():
        return net(X, D)["coco"]


def test_adapters_wrap_every_attention_projection_and_start_as_a_no_op():
    net = model()
    plain = outputs(net)
    add_lora(net.backbone, rank=2, alpha=4.0)
    names = {n for n, _ in net.named_modules() if n.endswith((".qkv", ".proj")) and "attn" in n}
    assert {n for n, m in net.named_modules() if m in lora_layers(net)} == names
    assert len(names) == 2 * len(net.backbone.vit.blocks)
    assert torch.equal(outputs(net), plain)  # B = 0 at init
    assert merge_lora(net) == len(names)
    assert torch.equal(outputs(net), plain)  # merging a zero B leaves the weights as they were


def test_trained_adapters_change_the_output_and_merge_to_the_same_function():
    plain = outputs(model())
    net, before, _ = trained_by("lora")
    base = [n for n in before if n.endswith("attn.qkv.base_layer.weight")]
    assert base and all(torch.equal(dict(net.named_parameters())[n], before[n]) for n in base)
    adapted = outputs(net)
    assert not torch.allclose(adapted, plain)
    merge_lora(net)
    assert torch.allclose(outputs(net), adapted, atol=1e-5)
    merged = [n for n, p in net.named_parameters() if n.endswith("attn.qkv.base_layer.weight")
              and not torch.equal(p, before[n])]
    assert merged  # the adapters were folded into the base weights


def test_no_matching_module_is_an_error():
    with pytest.raises(ValueError, match=r"nothing not found in the base model"):
        add_lora(model().backbone, rank=2, alpha=4.0, targets=r".*\.attn\.nothing")
    with pytest.raises(ValueError, match="rank must be >= 1"):
        add_lora(model().backbone, rank=0, alpha=1.0)
