"""Token classification: per-token confident learning, exact to cleanlab 2.9's
`cleanlab.token_classification`.

`labelaudit.token_classification.filter.find_label_issues` and `labelaudit.token_classification.
rank.get_label_quality_scores` take cleanlab's arguments (labels: a list of per-sentence integer
lists; pred_probs: a list of per-sentence T_i×K arrays) and return its results. The work runs once
on the concatenated total_tokens×K matrix through `labelaudit.confident`.
`rank.label_quality_arrays` gives the same scores flat (total_tokens,) with sentence offsets, for
callers that need no pandas Series per sentence (building those dominates the drop-in's time).
"""
