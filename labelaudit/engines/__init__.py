"""Where the passes over the probabilities run: in this process (local) or on a Dask cluster."""

ENGINES = ("local", "dask")
