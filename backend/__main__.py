"""`python -m backend …` is the `tidu` command (what `tidu serve` uses to start its scheduler)."""

from backend.cli import main

main()
