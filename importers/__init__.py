"""Workbook bytes to typed rows and issues (pure: no database, no web framework)."""
