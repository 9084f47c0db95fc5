"""bundlebench's embedded OCI runtime: standard library and ctypes only."""

__version__ = "0.1.0"
OCI_VERSION = "1.3.0"
