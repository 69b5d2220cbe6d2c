"""Reading, normalising and loading landed files into `raw`."""

import os

# polars allocates through its own jemalloc, which keeps freed pages for seconds by default:
# during a backfill one file's garbage stayed resident while the next was read (a 960k-row file
# left 1.6 GB resident after preparing a 0.3 GB result; 0.7 GB with this). Must be set before
# polars is loaded, hence here; an explicit setting in the environment wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")
