"""Label-error detectors: the Detector contract and the registry of installed detectors."""

from labelaudit.detectors.base import Detector, DetectorResult
from labelaudit.detectors.registry import describe, load, refresh, registered

__all__ = ["Detector", "DetectorResult", "describe", "load", "refresh", "registered"]
