"""District targets and the registry's figures measured against them (dashboard and lists share these)."""
