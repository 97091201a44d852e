"""Rule sets and their evaluators (pure: no database, no web framework)."""
