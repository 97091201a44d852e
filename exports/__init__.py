"""Typed rows to formatted workbooks and CSV with manifests (pure: no database, no web framework)."""
