"""Provenance, gathered in one place for every engine: input hashes, options and versions."""

from __future__ import annotations

import platform
import threading
from pathlib import Path

from labelaudit._version import __version__


class InputHashes:
    """SHA-256 of each input file, computed on a second core while the audit runs (hashlib
    releases the GIL). Only regular files are hashed (not a dynamics folder, nor a FIFO)."""

    def __init__(self, roles: list[tuple[str, Path]]) -> None:
        from concurrent.futures import ThreadPoolExecutor

        from labelaudit.io.formats import sha256_of

        self.roles = roles
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._digests = [
            self._pool.submit(sha256_of, path, self._stop) if path.is_file() else None
            for _, path in roles
        ]

    def records(self) -> list[dict]:
        """[{role, path, sha256}] once every hash is done."""
        try:
            return [
                {"role": role, "path": str(path), "sha256": digest and digest.result()}
                for (role, path), digest in zip(self.roles, self._digests, strict=True)
                if digest is not None
            ]
        finally:
            self._pool.shutdown()

    def cancel(self) -> None:
        """Stop hashing (the audit failed or was interrupted): the running hash stops at its
        next megabyte, so exiting never waits for a large file to be read to the end."""
        self._stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)


def versions() -> dict[str, str]:
    """The versions that decide the answer (NumPy's arithmetic, this package)."""
    import numpy as np

    return {"labelaudit": __version__, "numpy": np.__version__, "python": platform.python_version()}


def record(report, request, labels, hashes: InputHashes) -> None:
    """Write the request's provenance into the report's metadata, the same for every engine."""
    options = report.metadata["options"]
    options.update(
        logits=request.logits,
        label_column=request.label_column,
        id_column=getattr(labels, "id_column", None),
        engine=request.engine,
    )
    if request.features is not None:
        spec = request.features
        options["features"] = {
            "model": spec.model_for(report.metadata.get("task")),
            "folds": spec.folds,
            "seed": spec.seed,
            "impute": spec.impute,
            "columns": ",".join(spec.columns) if spec.columns else None,
        }
    if request.embeddings is not None:
        spec = request.embeddings
        options["embeddings"] = {
            "model": spec.model,
            "folds": spec.folds,
            "seed": spec.seed,
            "duplicates": spec.duplicates,
        }
    if isinstance(request.dynamics, (str, Path)):
        options["dynamics"] = str(request.dynamics)
    urls = [str(p) for p in request.pred_probs if isinstance(p, str) and "://" in p]
    if urls:
        options["pred_probs"] = urls[0] if len(urls) == 1 else urls
    report.metadata["inputs"] = hashes.records()
    report.metadata["versions"] = versions()
