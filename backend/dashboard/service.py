"""Figures for the dashboard charts."""
