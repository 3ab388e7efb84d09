"""--dynamics: per-epoch outputs recorded during training, opened lazily (one epoch at a time)."""

from __future__ import annotations

from pathlib import Path


def load(request, engine, observer):
    from labelaudit.dynamics.source import Dynamics, dynamics_from_array, read_dynamics

    source = request.dynamics
    if isinstance(source, Dynamics):
        return source
    if isinstance(source, (str, Path)):
        with observer.stage(f"Opening {source}"):
            return read_dynamics(Path(source), kind=request.dynamics_kind)
    return dynamics_from_array(source, request.dynamics_kind)
