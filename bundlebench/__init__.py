"""bundlebench: a terminal workbench for OCI container bundles."""

__version__ = "0.1.0"
