"""Errors the exporters raise; the backend translates them at its service boundary."""


class ExportError(ValueError):
    """A row or document cannot be written as asked (the message is Chinese, for people)."""
