"""--pred-probs: one or several N×K probability (or logit) sources, opened by the engine."""

from __future__ import annotations

from labelaudit.io.evidence import Probabilities


def load(request, engine, observer) -> Probabilities:
    with observer.stage("Reading predicted probabilities"):
        return engine.probabilities(
            request.pred_probs,
            logits=request.logits,
            multi_label=request.multi_label,
            block_rows=request.outputs.block_rows,
        )
