"""The digest of a regression report: counts, the threshold, the worst rows."""

from __future__ import annotations

import numpy as np

TOP_ISSUES = 10


def summarise(report) -> dict:
    """The summary of a regression report: counts, residual spread, the worst rows."""
    cols, meta = report.columns, report.metadata
    n = int(meta.get("n", len(cols["row"])))
    top = [
        {
            "issue_rank": int(cols["issue_rank"][i]),
            "row": int(cols["row"][i]),
            "label_quality": float(cols["label_quality"][i]),
            "given_label": float(cols["given_label"][i]),
            "suggested_label": float(cols["suggested_label"][i]),
            "outlier_z": float(cols["outlier_z"][i]),
            **({"id": _plain(cols["id"][i])} if "id" in cols else {}),
        }
        for i in report.issue_order()[:TOP_ISSUES]
    ]
    return {
        "labelaudit_version": meta.get("labelaudit_version"),
        "task": "regression",
        "detector": meta.get("detector"),
        "n": n,
        "k": 0,
        "num_issues": report.num_issues,
        "issue_fraction": report.num_issues / n if n else 0.0,
        "z_threshold": meta.get("options", {}).get("z_threshold"),
        "per_class": [],
        "top_issues": top,
        "noise_matrix": None,
        "largest_flips": None,
        "options": meta.get("options", {}),
    }


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value
