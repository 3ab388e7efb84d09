"""Segmentation: per-pixel confident learning, exact to cleanlab 2.9's `cleanlab.segmentation`.

`labelaudit.segmentation.filter.find_label_issues` and `labelaudit.segmentation.rank.
get_label_quality_scores` take cleanlab's arguments and return its results (see analysis.py
for how, and for the one documented difference: exact ties at the cut).
"""
