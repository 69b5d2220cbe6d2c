"""Reading, normalising and loading landed files into `raw`."""
