"""Read a checkpoint file of either kind: a suite checkpoint (``to_checkpoint``: ``model_cfg`` +
``state_dict``) or a released ViTPose++ / PoseBH file (mmpose key names, converted by
``posebh.zoo.official.convert_official``). Either way the result is a suite checkpoint dict.
"""

from __future__ import annotations

import pickle
import struct
from collections.abc import Mapping
from pathlib import Path

from posebh.data.errors import DataError
from posebh.zoo.official import convert_official, read_checkpoint_file, unwrap


def is_suite_checkpoint(obj: Mapping) -> bool:
    """A dict written by ``to_checkpoint`` (or ``deploy``): a model config and its weights."""
    return isinstance(obj.get("model_cfg"), Mapping) and isinstance(obj.get("state_dict"), Mapping)


def load_checkpoint(path: str | Path, **official: object) -> dict:
    """The suite checkpoint dict of ``path``; a released file is converted (``official`` are
    ``convert_official``'s options: ``img_size``, ``num_heads``, ``datasets``).

    Raises ``DataError`` (one line naming the file) for a file that is neither kind.
    """
    try:
        obj = read_checkpoint_file(path)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, struct.error) as err:
        detail = str(err).splitlines()[0][:160] if str(err) else type(err).__name__
        raise DataError(path, f"not a checkpoint file ({detail})") from None
    if is_suite_checkpoint(obj):
        return dict(obj)
    state = unwrap(obj)
    if not state:
        raise DataError(path, "not a posebh or released ViTPose++/PoseBH checkpoint (no weights)")
    try:
        return convert_official(state, source=str(path), **official)
    except ValueError as err:  # OfficialWeightsError, or a config the shapes do not allow
        problem = str(err).removeprefix(f"{path}: ")
        raise DataError(path, "not a posebh checkpoint (no model_cfg) nor a released "
                              f"ViTPose++/PoseBH one: {problem}") from None
