"""Widgets of the bundlebench app, one module per thing shown."""
