"""Load the released ViTPose++ / PoseBH checkpoints (mmpose 0.x key names) into our modules.

Key layout of the released files (read from ``ViTAE-Transformer/ViTPose`` ``vit_moe.py`` /
``top_down_moe.py`` and ``uyoung-jeong/PoseBH`` ``top_down_moe_proto.py`` / ``kpt_proto_head.py``
/ ``kpt_proto_module.py``; facts only, no code taken):

| official | ours |
|---|---|
| ``backbone.patch_embed.proj.*`` (Conv 16x16, stride 16, **padding 2**) | ``backbone.vit.patch_embed.proj.*`` (``patch_padding=2``) |
| ``backbone.pos_embed`` (1, 1+N, C); ViTPose adds ``pe[:, 1:] + pe[:, :1]`` | ``backbone.vit.pos_embed`` (1, N, C) = that sum |
| ``backbone.blocks.i.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}`` | ``backbone.vit.blocks.i.*`` |
| ``backbone.blocks.i.mlp.experts.k`` (expert k = dataset k) | ``backbone.vit.blocks.i.mlp.experts.k`` |
| ``backbone.last_norm`` | ``backbone.vit.norm`` |
| ``keypoint_head.{deconv_layers.{0,1,3,4},final_layer}`` (dataset 0, COCO) | ``heads.coco.{up.{0,1,3,4},final}`` |
| ``associate_keypoint_heads.i.*`` (dataset i+1: AIC, MPII, AP-10K, APT-36K, WholeBody) | ``heads.<dataset>.*`` |
| ``proto_head.deconv_layers.{0,1,3,4}`` | ``embed.up.{0,1,3,4}`` |
| ``proto_head.neck.{conv1,bn1,conv2,bn2,downsample.0,downsample.1}`` | ``embed.res.{conv1,bn1,conv2,bn2,shortcut.0,shortcut.1}`` |
| ``proto_head.head.{0,1,3}`` (3x3 conv, BN, SiLU, 1x1 conv) | ``embed.conv.{0,1}``, ``embed.out`` |
| ``proto_head.kpt_prototype.prototypes`` (214, 3, 64) | ``bank.prototypes`` |

Where our layout differs: the official ResBlock convs and the 3x3 head conv carry a bias, ours
do not (each is followed by BatchNorm). Such a bias ``b`` is folded exactly into the next BN:
``running_mean -= b`` (in eval mode BN(y + b) with mean mu equals BN(y) with mean mu - b; in
training mode the batch mean absorbs b, and the running-mean update keeps the offset).
``proto_head.cluster_prototype.prototypes`` (the code's K-means bank) is not loaded: the links
keypoint -> cluster are not stored in the checkpoint, so PoseBH recomputes its K-means negatives
when the prototypes freeze; ``clusters`` / ``cluster_owner`` keep their "not ready" init.
The released code uses |cos| (``sim_rescale='abs'``), so a PoseBH checkpoint loads with
``similarity='abs'``. Releases name the head list ``associate_keypoint_heads`` (the config key is
``associate_keypoint_head``); both spellings are accepted.
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from posebh import skeletons
from posebh.data.errors import DataError
from posebh.method.config import MethodConfig
from posebh.models.config import ModelConfig
from posebh.zoo.checkpoint import build_model

DATASET_ORDER: tuple[str, ...] = skeletons.SOURCES + skeletons.TRANSFER  # expert/head index order
HEADS_BY_DIM = {768: 12, 1024: 16, 1280: 16}  # ViTPose-B/L/H attention heads (not in the weights)
IGNORED = ("proto_head.cluster_prototype.prototypes",)
_BN = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


class OfficialWeightsError(ValueError):
    """A released checkpoint that does not fit our modules (one line: file, key, shapes)."""


def _meta_globals() -> list[tuple[object, str]]:
    """What an mmcv ``meta`` needs beyond torch's own allow-list: numpy scalars (``scalar(dtype,
    bytes)``, under numpy 1.x's and 2.x's module names) and the numeric dtypes they carry."""
    scalar = (np._core if hasattr(np, "_core") else np.core).multiarray.scalar
    dtypes = {type(np.dtype(t)) for t in (
        np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
        np.uint64, np.float16, np.float32, np.float64, np.longdouble, np.complex64,
        np.complex128)}
    return [(scalar, "numpy.core.multiarray.scalar"), (scalar, "numpy._core.multiarray.scalar"),
            (np.dtype, "numpy.dtype")] + [(d, f"numpy.dtypes.{d.__name__}") for d in dtypes]


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """The tensors of an mmpose checkpoint file (weights under ``state_dict`` or at top level)."""
    return unwrap(read_checkpoint_file(path))


def read_checkpoint_file(path: str | Path) -> Mapping:
    """The dict a checkpoint file holds (a suite checkpoint or a released mmpose one).

    Always ``torch.load(weights_only=True)``: tensors, plain containers and numpy scalars only
    (the mmcv ``meta``); a file that needs any other global is refused, never unpickled.
    """
    try:
        with torch.serialization.safe_globals(_meta_globals()):
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        text = str(err)
        m = re.search(r"GLOBAL (\S+)", text)
        what = (f"it needs the global {m.group(1)}" if m
                else f"{text.splitlines()[0][:160] if text else type(err).__name__}")
        raise DataError(path, f"refused to load the checkpoint: {what}, which is not a tensor, "
                              "plain container or numpy scalar (files can run code when "
                              "unpickled; only safe ones are loaded)") from None
    if not isinstance(obj, Mapping):
        raise DataError(path, f"not a checkpoint: holds a {type(obj).__name__}, not a dict")
    return obj


def unwrap(obj: Mapping) -> dict[str, torch.Tensor]:
    """``{'state_dict': {...}, 'meta': ...}`` or a bare state dict -> the tensors."""
    if "state_dict" in obj and isinstance(obj["state_dict"], Mapping):
        obj = obj["state_dict"]
    return {k: v for k, v in obj.items() if torch.is_tensor(v)}


def load_official(path: str | Path, **kwargs: object) -> dict:
    """``convert_official`` of a checkpoint file; errors name the file."""
    return convert_official(read_state_dict(path), source=Path(path).name, **kwargs)


def convert_official(
    state: Mapping[str, torch.Tensor],
    source: str = "<state dict>",
    img_size: tuple[int, int] = (256, 192),
    num_heads: int | None = None,
    datasets: tuple[str, ...] | None = None,
    drop_path_rate: float = 0.0,
) -> dict:
    """Our checkpoint dict ``{model_cfg, state_dict[, method_cfg], ignored, source}`` of a
    released ViTPose++ (``vitpose+_base.pth``) or PoseBH checkpoint; ``from_checkpoint`` builds it.

    The architecture is read from the weight shapes (ViT dims, experts, head channels, bank
    size); ``num_heads`` is not stored (default by width: B 12, L/H 16) and ``img_size`` must
    match the position embedding (256x192: 16x12 tokens). ``datasets`` names the heads in order
    (default: COCO, AIC, MPII, AP-10K, APT-36K, WholeBody, InterHand, 3DPW, as many as there are
    heads). Raises ``OfficialWeightsError`` with one line naming ``source`` and the first key
    that does not fit.
    """
    state = unwrap(state)
    cfg = _model_config(state, source, img_size, num_heads, datasets, drop_path_rate)
    method = _method_config(state, source)
    names = _head_prefixes(cfg.datasets)
    with torch.device("meta"):
        ref = build_model(cfg.to_dict(), None if method is None else method.to_dict())
    expected = {k: tuple(v.shape) for k, v in ref.state_dict().items()}

    out: dict[str, torch.Tensor] = {}
    folds: dict[str, tuple[str, torch.Tensor]] = {}  # our BN prefix -> (official key, conv bias)
    ignored: list[str] = []
    for key, value in state.items():
        if key in IGNORED:
            ignored.append(key)
            continue
        target = _target(key, names)
        if target is None:
            raise OfficialWeightsError(
                f"{source}: unexpected key {key!r} (no counterpart in posebh)")
        if target.startswith("fold:"):
            bn = target[len("fold:"):]
            _check(source, key, tuple(value.shape), expected.get(f"{bn}.running_mean"), bn)
            folds[bn] = (key, value)
            continue
        want = expected.get(target)
        if key == "backbone.pos_embed":
            want = None if want is None else (want[0], want[1] + 1, want[2])
            _check(source, key, tuple(value.shape), want, target)
            value = value[:, 1:] + value[:, :1]  # ViTPose adds the cls slot to every patch
        else:
            _check(source, key, tuple(value.shape), want, target)
        out[target] = value
    for bn, (key, bias) in folds.items():
        mean = out.get(f"{bn}.running_mean")
        if mean is None:
            raise OfficialWeightsError(f"{source}: {key!r} has a bias but its BatchNorm is missing")
        out[f"{bn}.running_mean"] = mean - bias.to(mean.dtype)
    _fill_defaults(out, cfg, method)
    for key in expected:
        if key not in out:
            raise OfficialWeightsError(
                f"{source}: no weights for posebh {key!r} (official key missing)")
    ckpt = {"model_cfg": cfg.to_dict(), "state_dict": out, "ignored": ignored, "source": source}
    if method is not None:
        ckpt["method_cfg"] = method.to_dict()
    return ckpt


def _check(source: str, key: str, got: tuple, want: tuple | None, target: str) -> None:
    if want is None:
        raise OfficialWeightsError(
            f"{source}: {key!r} maps to {target!r}, which posebh's model lacks")
    if got != want:
        raise OfficialWeightsError(
            f"{source}: {key!r} has shape {got}, posebh {target!r} needs {want}")


def _need(state: Mapping[str, torch.Tensor], key: str, source: str) -> torch.Tensor:
    if key not in state:
        raise OfficialWeightsError(f"{source}: missing key {key!r}")
    return state[key]


def _model_config(state: Mapping[str, torch.Tensor], source: str, img_size: tuple[int, int],
                  num_heads: int | None, datasets: tuple[str, ...] | None,
                  drop_path_rate: float) -> ModelConfig:
    pos = _need(state, "backbone.pos_embed", source)  # (1, 1 + N, C)
    proj = _need(state, "backbone.patch_embed.proj.weight", source)  # (C, 3, p, p)
    dim, patch = pos.shape[-1], proj.shape[-1]
    grid = (img_size[0] // patch, img_size[1] // patch)
    if pos.shape[1] - 1 != grid[0] * grid[1]:
        raise OfficialWeightsError(
            f"{source}: 'backbone.pos_embed' holds {pos.shape[1] - 1} patch tokens, img_size "
            f"{tuple(img_size)} with patch {patch} gives {grid[0]}x{grid[1]}; pass img_size")
    blocks = {int(m.group(1)) for k in state if (m := re.match(r"backbone\.blocks\.(\d+)\.", k))}
    if not blocks:
        raise OfficialWeightsError(f"{source}: no 'backbone.blocks.*' keys")
    hidden = _need(state, "backbone.blocks.0.mlp.fc1.weight", source).shape[0]
    experts = sorted({int(m.group(1)) for k in state
                      if (m := re.match(r"backbone\.blocks\.0\.mlp\.experts\.(\d+)\.weight$", k))})
    part = state[f"backbone.blocks.0.mlp.experts.{experts[0]}.weight"].shape[0] if experts else 0
    heads = num_heads if num_heads is not None else HEADS_BY_DIM.get(dim)
    if heads is None:
        raise OfficialWeightsError(f"{source}: width {dim} is not ViTPose-B/L/H; pass num_heads")
    deconv = _need(state, "keypoint_head.deconv_layers.0.weight", source)  # (C, ch, 4, 4)
    assoc = {int(m.group(1)) for k in state
             if (m := re.match(r"associate_keypoint_heads?\.(\d+)\.", k))}
    n_assoc = len(assoc)
    if assoc and assoc != set(range(n_assoc)):
        raise OfficialWeightsError(
            f"{source}: associate heads {sorted(assoc)} are not 0..{n_assoc - 1}")
    names = tuple(datasets) if datasets is not None else DATASET_ORDER[:1 + n_assoc]
    if len(names) != 1 + n_assoc:
        raise OfficialWeightsError(
            f"{source}: {1 + n_assoc} keypoint heads but datasets names {len(names)}: {names}")
    if experts and len(experts) != len(names):
        raise OfficialWeightsError(
            f"{source}: {len(experts)} FFN experts but {len(names)} keypoint heads")
    return ModelConfig(img_size=tuple(img_size), patch_size=patch, embed_dim=dim,
                       depth=max(blocks) + 1, num_heads=heads, mlp_ratio=hidden / dim,
                       drop_path_rate=drop_path_rate, part_features=part,
                       head_channels=deconv.shape[1], patch_padding=2, datasets=names)


def _method_config(state: Mapping[str, torch.Tensor], source: str) -> MethodConfig | None:
    bank = state.get("proto_head.kpt_prototype.prototypes")
    if bank is None:
        if any(k.startswith("proto_head.") for k in state):
            raise OfficialWeightsError(
                f"{source}: missing key 'proto_head.kpt_prototype.prototypes'")
        return None
    _, m, f = bank.shape
    clusters = state.get("proto_head.cluster_prototype.prototypes")
    k = clusters.shape[0] if clusters is not None else MethodConfig.num_clusters
    return MethodConfig(embed_dim=f, num_prototypes=m, similarity="abs", num_clusters=k)


def _head_prefixes(datasets: tuple[str, ...]) -> dict[str, str]:
    """Official head prefix -> our ``heads.<dataset>`` prefix."""
    out = {"keypoint_head": f"heads.{datasets[0]}"}
    for i, name in enumerate(datasets[1:]):
        out[f"associate_keypoint_heads.{i}"] = f"heads.{name}"
        out[f"associate_keypoint_head.{i}"] = f"heads.{name}"
    return out


_HEAD = {"deconv_layers.0.weight": "up.0.weight", "deconv_layers.3.weight": "up.3.weight",
         **{f"deconv_layers.{i}.{p}": f"up.{i}.{p}" for i in (1, 4) for p in _BN},
         "final_layer.weight": "final.weight", "final_layer.bias": "final.bias"}
_PROTO = {
    "deconv_layers.0.weight": "embed.up.0.weight", "deconv_layers.3.weight": "embed.up.3.weight",
    **{f"deconv_layers.{i}.{p}": f"embed.up.{i}.{p}" for i in (1, 4) for p in _BN},
    "neck.conv1.weight": "embed.res.conv1.weight", "neck.conv1.bias": "fold:embed.res.bn1",
    "neck.conv2.weight": "embed.res.conv2.weight", "neck.conv2.bias": "fold:embed.res.bn2",
    **{f"neck.bn{i}.{p}": f"embed.res.bn{i}.{p}" for i in (1, 2) for p in _BN},
    "neck.downsample.0.weight": "embed.res.shortcut.0.weight",
    **{f"neck.downsample.1.{p}": f"embed.res.shortcut.1.{p}" for p in _BN},
    "head.0.weight": "embed.conv.0.weight", "head.0.bias": "fold:embed.conv.1",
    **{f"head.1.{p}": f"embed.conv.1.{p}" for p in _BN},
    "head.3.weight": "embed.out.weight", "head.3.bias": "embed.out.bias",
    "kpt_prototype.prototypes": "bank.prototypes",
}
_BLOCK = re.compile(r"(norm1|norm2|attn\.qkv|attn\.proj|mlp\.fc1|mlp\.fc2|mlp\.experts\.\d+)"
                    r"\.(weight|bias)$")


def _target(key: str, heads: dict[str, str]) -> str | None:
    """Our key for an official key (``fold:<bn>`` = a conv bias folded into that BN), else None."""
    if key in ("backbone.pos_embed",):
        return "backbone.vit.pos_embed"
    if key.startswith("backbone.patch_embed.proj.") and key.rsplit(".", 1)[1] in ("weight", "bias"):
        return "backbone.vit." + key[len("backbone."):]
    if key.startswith("backbone.last_norm.") and key.rsplit(".", 1)[1] in ("weight", "bias"):
        return "backbone.vit.norm." + key.rsplit(".", 1)[1]
    m = re.match(r"backbone\.blocks\.(\d+)\.(.+)$", key)
    if m and _BLOCK.match(m.group(2)):
        return f"backbone.vit.blocks.{m.group(1)}.{m.group(2)}"
    if key.startswith("proto_head."):
        return _PROTO.get(key[len("proto_head."):])
    for prefix, ours in heads.items():
        if key.startswith(prefix + "."):
            rest = _HEAD.get(key[len(prefix) + 1:])
            return None if rest is None else f"{ours}.{rest}"
    return None


def _fill_defaults(out: dict[str, torch.Tensor], cfg: ModelConfig, method: MethodConfig | None
                   ) -> None:
    """BN counters absent from older files; the K-means buffers in their 'not ready' state."""
    for key in [k for k in out if k.endswith(".running_mean")]:
        out.setdefault(key.replace(".running_mean", ".num_batches_tracked"),
                       torch.tensor(0, dtype=torch.long))
    if method is not None:
        j = sum(skeletons.get(d).num_keypoints for d in cfg.datasets)
        k = min(method.num_clusters, j * method.num_prototypes)
        out.setdefault("clusters", torch.zeros(k, method.num_prototypes, method.embed_dim))
        out.setdefault("cluster_owner", torch.full((j,), -1, dtype=torch.long))
