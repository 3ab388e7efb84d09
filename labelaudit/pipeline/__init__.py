"""The audit pipeline: an AuditRequest in, a Report out (docs/architecture.md).

Submodules load on first use, so that `import labelaudit` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "AuditRequest": "labelaudit.pipeline.request",
    "FeatureSpec": "labelaudit.pipeline.request",
    "EmbeddingSpec": "labelaudit.pipeline.request",
    "Outputs": "labelaudit.pipeline.request",
    "run": "labelaudit.pipeline.runner",
    "audit": "labelaudit.pipeline.api",
    "audit_dynamics": "labelaudit.pipeline.api",
}
__all__ = [
    "AuditRequest",
    "EmbeddingSpec",
    "FeatureSpec",
    "Outputs",
    "audit",
    "audit_dynamics",
    "run",
]

if TYPE_CHECKING:
    from labelaudit.pipeline.api import audit, audit_dynamics
    from labelaudit.pipeline.request import AuditRequest, EmbeddingSpec, FeatureSpec, Outputs
    from labelaudit.pipeline.runner import run


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'labelaudit.pipeline' has no attribute {name!r}")
