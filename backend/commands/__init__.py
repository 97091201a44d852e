"""Command groups of the `tidu` command line."""
