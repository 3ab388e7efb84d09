"""The digest of a segmentation report: images flagged, flagged pixels per given class, top images."""

from __future__ import annotations

from typing import Any

import numpy as np

TOP_IMAGES = 10


def summarise(report) -> dict[str, Any]:
    """A JSON-serialisable summary with the keys of a classification summary where they apply."""
    cols, meta = report.columns, report.metadata
    n, k = int(meta.get("n", len(cols["row"]))), int(meta["k"])
    details = meta.get("details", {})
    pixels = details.get("pixel_class_counts") or [0] * k
    flagged = details.get("pixel_issue_counts") or [0] * k
    per_class = [
        {
            "class": c,
            "name": report.class_name(c),
            "examples": int(pixels[c]),  # pixels labelled c
            "flagged": int(flagged[c]),
            "flagged_share": float(flagged[c] / pixels[c]) if pixels[c] else 0.0,
        }
        for c in range(k)
    ]
    top = [
        {
            "issue_rank": int(cols["issue_rank"][i]),
            "row": int(cols["row"][i]),
            "label_quality": float(cols["label_quality"][i]),
            "pixel_issue_count": int(cols["pixel_issue_count"][i]),
            "pixel_issue_fraction": float(cols["pixel_issue_fraction"][i]),
            "worst_class": int(cols["worst_class"][i]),
            "suggested_class": int(cols["suggested_class"][i]),
            "largest_region": int(cols["largest_region"][i]),
        }
        for i in report.issue_order()[:TOP_IMAGES]
    ]
    num_issues = report.num_issues
    return {
        "labelaudit_version": meta.get("labelaudit_version"),
        "task": "segmentation",
        "detector": meta.get("detector"),
        "n": n,
        "k": k,
        "image_shape": meta.get("image_shape"),
        "num_issues": num_issues,
        "issue_fraction": num_issues / n if n else 0.0,
        "num_pixel_issues": int(np.sum(cols["pixel_issue_count"])),
        "per_class": per_class,
        "top_issues": top,
        "noise_matrix": None,
        "largest_flips": None,
        "options": meta.get("options", {}),
    }
