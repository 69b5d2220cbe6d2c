"""Preset mappings shipped with bpo-warehouse (YAML files; a package so that wheels include them)."""
