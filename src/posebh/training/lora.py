"""LoRA adapters on the ViT's attention projections (Hu et al. 2021), through ``peft``.

peft wraps the timm ViT in place: ``inject_adapter_in_model`` replaces each matched
``nn.Linear`` (``blocks.i.attn.qkv`` and ``blocks.i.attn.proj``) by a ``peft`` LoRA layer holding
the frozen base weight plus ``lora_A`` (r x in, Kaiming) and ``lora_B`` (out x r, zeros), so the
wrapped model computes exactly what it did before its first step. Parameter names keep their
``blocks.<i>.`` prefix (layer-wise lr decay still finds the block) and gain
``.base_layer.`` / ``.lora_A.default.`` / ``.lora_B.default.``.

peft imports transformers and accelerate (~3 000 modules), so it is imported where the adapters
are added, not when this module is.
"""

from __future__ import annotations

from torch import nn

ATTENTION = r".*\.attn\.(qkv|proj)"  # peft: a str target is re.fullmatch-ed on module names
LORA_PARAM = r".*\.lora_(A|B)\."  # the adapters' parameter names (what trains, with the head)


def add_lora(module: nn.Module, rank: int, alpha: float, targets: str = ATTENTION) -> nn.Module:
    """Wrap every submodule of ``module`` whose name matches ``targets`` with a LoRA adapter of
    rank ``rank`` and scale ``alpha / rank`` (no dropout), in place; returns ``module``.

    peft leaves only the adapters trainable; the caller decides the rest (``freeze.apply_recipe``).
    """
    from peft import LoraConfig, inject_adapter_in_model

    if rank < 1:
        raise ValueError(f"LoRA rank must be >= 1, got {rank}")
    cfg = LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=0.0, target_modules=targets,
                     bias="none")
    return inject_adapter_in_model(cfg, module)  # no match: peft's one-line ValueError


def lora_layers(module: nn.Module) -> list[nn.Module]:
    """The peft LoRA layers inside ``module`` (empty when it has none)."""
    from peft.tuners.lora import LoraLayer

    return [m for m in module.modules() if isinstance(m, LoraLayer)]


def merge_lora(module: nn.Module) -> int:
    """Fold every adapter into its base weight (W + alpha/r B A), in place, so inference runs the
    plain ViT cost; returns how many layers were merged."""
    layers = lora_layers(module)
    for layer in layers:
        layer.merge()
    return len(layers)
