"""The load manifest's vocabulary, in a module that imports nothing: `bpo run`'s early check
(transform/nothing_new.py) reads the manifest without importing the loader (polars, pyarrow)."""

# Manifest statuses that settle a file for good (a `failed` file is never recorded; see ingestion/loader.py).
SETTLED = ("loaded", "quarantined")
