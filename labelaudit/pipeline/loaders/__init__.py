"""Loaders: each turns one kind of input of a request into typed evidence (io/evidence.py).

LOADERS maps an input kind to "module:function"; a loader takes (request, engine, observer) and
returns its evidence, with shapes and dtypes checked. Adding an input kind is one module here
plus its line in LOADERS; the engines and the audit body do not change.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

LOADERS = {
    "pred_probs": "labelaudit.pipeline.loaders.pred_probs:load",
    "features": "labelaudit.pipeline.loaders.features:load",
    "embeddings": "labelaudit.pipeline.loaders.embeddings:load",
    "dynamics": "labelaudit.pipeline.loaders.dynamics:load",
    "segmentation": "labelaudit.pipeline.loaders.segmentation:load",
    "tokens": "labelaudit.pipeline.loaders.tokens:load",
    "annotations": "labelaudit.pipeline.loaders.annotations:load",
    "regression": "labelaudit.pipeline.loaders.regression:load",
}
# The evidence kind (detectors.base.EVIDENCE_KINDS) each input kind provides.
PROVIDES = {
    "pred_probs": "pred_probs",
    "features": "pred_probs",
    "embeddings": "pred_probs",
    "dynamics": "dynamics",
    "segmentation": "pixel_probs",
    "tokens": "token_probs",
    "annotations": "annotations",
    "regression": "regression",
}


def present(request) -> list[str]:
    """The input kinds this request supplies, in LOADERS order."""
    if request.task == "segmentation":
        return ["segmentation"]
    if request.task == "token":
        return ["tokens"]
    if request.task == "regression":
        return ["regression"]
    given = {
        "pred_probs": len(request.pred_probs) > 0,
        "features": request.features is not None,
        "embeddings": request.embeddings is not None,
        "dynamics": request.dynamics is not None,
        "annotations": getattr(request, "annotations", None) is not None,
    }
    return [kind for kind in LOADERS if given.get(kind, False)]


def load_evidence(request, engine, observer) -> dict[str, Any]:
    """{evidence kind: evidence} for every input the request supplies."""
    evidence = {}
    for kind in present(request):
        module, _, function = LOADERS[kind].partition(":")
        evidence[PROVIDES[kind]] = getattr(import_module(module), function)(
            request, engine, observer
        )
    return evidence
