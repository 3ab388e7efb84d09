"""Training dynamics: per-epoch model outputs, their reader, a recorder and their analysis."""

from labelaudit.dynamics.analysis import TrainingDynamics, analyse
from labelaudit.dynamics.recorder import Recorder
from labelaudit.dynamics.source import Dynamics, read_dynamics

__all__ = ["Dynamics", "Recorder", "TrainingDynamics", "analyse", "read_dynamics"]
