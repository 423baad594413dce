"""Typed configs: a parameter block is parsed once, at the run boundary, into a dataclass.

Every config class is a plain ``@dataclass`` marked ``@strict`` (unknown keys refused); field
types and ranges (``Annotated[int, Field(ge=1)]``) are checked by pydantic, and the first problem
becomes one line that names the parameter and the bad value: ``train.epochs: Input should be
greater than or equal to 1 (got 0)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from functools import cache
from typing import Any, TypeVar

from pydantic import ConfigDict, TypeAdapter, ValidationError, with_config

T = TypeVar("T")

strict = with_config(ConfigDict(extra="forbid"))  # decorator: refuse unknown keys


class ConfigError(ValueError):
    """A parameter block that does not parse; ``key`` is the dotted parameter, e.g. train.epochs."""

    def __init__(self, key: str, message: str, value: Any = None) -> None:
        super().__init__(f"{key}: {message} (got {value!r})")
        self.key, self.value = key, value


@cache
def _adapter(cls: type) -> TypeAdapter:
    return TypeAdapter(cls)


def parse(cls: type[T], block: Mapping[str, Any] | T | None, where: str) -> T:
    """``block`` (a dict from a parameter file, or already a ``cls``) as a validated ``cls``."""
    if isinstance(block, cls):
        return block
    if block is not None and not isinstance(block, Mapping):
        raise ConfigError(where, "expected a mapping of parameters", block)
    try:
        return _adapter(cls).validate_python(dict(block or {}))
    except ValidationError as err:
        first = err.errors()[0]
        key = ".".join([where, *(str(p) for p in first["loc"])])
        message = "unknown parameter" if first["type"] == "unexpected_keyword_argument" else first["msg"]
        raise ConfigError(key, message, first.get("input")) from None


def to_dict(cfg: Any) -> dict:
    """A config dataclass as plain JSON-able data (tuples become lists), for checkpoints and logs."""
    assert is_dataclass(cfg), cfg

    def plain(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        return v

    return plain(asdict(cfg))
