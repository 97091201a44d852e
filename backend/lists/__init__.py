"""Exported lists (declared in vocabulary/lists.py): built from the registry, recorded as export runs."""
