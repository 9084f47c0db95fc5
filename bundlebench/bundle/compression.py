"""Open a possibly compressed archive as a plain byte stream, by its magic bytes."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
from typing import BinaryIO

from bundlebench.errors import BundlebenchError

_MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"BZh", "bzip2"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)


def sniff(head: bytes) -> str:
    """The compression of a stream from its first bytes: gzip, xz, bzip2, zstd or none."""
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    return "none"


def decompressing_reader(raw: BinaryIO, name: str = "archive") -> tuple[BinaryIO, str]:
    """Wrap ``raw`` (a buffered binary file) in the decompressor its magic bytes ask for."""
    peek = raw.peek(8)[:8] if hasattr(raw, "peek") else b""
    kind = sniff(peek)
    if kind == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb"), kind  # type: ignore[return-value]
    if kind == "xz":
        return lzma.LZMAFile(raw, "rb"), kind  # type: ignore[return-value]
    if kind == "bzip2":
        return bz2.BZ2File(raw, "rb"), kind  # type: ignore[return-value]
    if kind == "zstd":
        return _zstd_reader(raw, name), kind
    return raw, kind


def _zstd_reader(raw: BinaryIO, name: str) -> BinaryIO:
    try:
        from compression import zstd  # type: ignore[import-not-found]  # Python 3.14+

        return zstd.ZstdFile(raw, "rb")
    except ImportError:
        pass
    try:
        import zstandard
    except ImportError:
        raise BundlebenchError(
            f"{name} is zstd-compressed and the zstandard package is missing: "
            "pip install zstandard"
        ) from None
    reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
    return io.BufferedReader(reader)  # type: ignore[arg-type]
