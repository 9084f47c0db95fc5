"""Screens of the bundlebench app, one module per screen."""
