"""``network_trace``: a small network (``x``, ``layers`` of ``W``, ``b`` and an
activation, a ``loss`` against a ``target``), answered forward values and
gradients, matrices included.

Fields: ``x``, ``layers``, ``target``, ``loss``, ``convention`` (``row``: a @ W;
``column``: W @ a), and the trace fields (``randomize`` over whole matrices,
``ask``, ``weights``, ``carried_credit``, ``hint_penalty``). See
docs/contracts.md, contract 1.

Pure: no Django.
"""

import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from engine.network import DEFAULT_LOSS
from engine.specs import (
    LAYER_FIELDS,
    NETWORK_TRACE_FIELDS,
    SpecError,
    network_trace_errors,
)
from grader.kinds.base import typed
from grader.kinds.traced import TraceKind

_GIVEN_DATA = ("x", "layers", "target", "loss", "convention")


class NetworkTrace(TraceKind):
    name = "network_trace"
    label = "Network trace"
    order = 20
    fields = NETWORK_TRACE_FIELDS
    nested_fields = (("layers", LAYER_FIELDS, "in a layer"),)
    default_ask = ("forward", "grad")

    def errors(self, spec: Mapping[str, Any]) -> list[SpecError]:
        return network_trace_errors(spec)

    def summary(self, spec: Mapping[str, Any]) -> str:
        layers = spec.get("layers") or []
        count = len(layers) if isinstance(layers, list) else 0
        return f"{self.label}: {count} layer(s), loss {spec.get('loss', DEFAULT_LOSS)}"

    def given(self, concrete: Mapping[str, Any], trace) -> list[tuple[str, str]]:
        given = [("x", json.dumps(concrete.get("x")))]
        for index, layer in enumerate(concrete.get("layers", []), start=1):
            given.append((f"W{index}", json.dumps(layer.get("W"))))
            if layer.get("b") is not None:
                given.append((f"b{index}", json.dumps(layer.get("b"))))
            given.append(
                (f"activation {index}", str(layer.get("activation", "identity")))
            )
        given.append(("target", json.dumps(concrete.get("target"))))
        given.append(("loss", str(concrete.get("loss", DEFAULT_LOSS))))
        given.append(("convention", str(concrete.get("convention", "row"))))
        return given

    def given_data(self, concrete: Mapping[str, Any]) -> dict[str, Any]:
        return {key: _json(concrete[key]) for key in _GIVEN_DATA if key in concrete}

    def givens_text(self, spec: Mapping[str, Any], seed: int | None) -> str:
        """``x``, ``target`` and every randomized matrix of the variant."""
        concrete = self.concrete(spec, seed)
        names = ["x", "target"]
        names += [n for n in spec.get("randomize") or () if n not in names]
        return "; ".join(
            f"{name} = {typed(_matrix(concrete, name))}"
            for name in names
            if _matrix(concrete, name) is not None
        )


def _json(value: Any) -> Any:
    return value.tolist() if isinstance(value, np.ndarray) else value


def _matrix(concrete: Mapping[str, Any], name: str):
    if name in concrete:
        return concrete[name]
    if name.startswith("layers["):
        index, key = name[len("layers[") :].split("].")
        return concrete["layers"][int(index)].get(key)
    return None


KIND = NetworkTrace()
