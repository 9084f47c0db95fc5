"""One layer from blob to rootfs: verified as it streams, decoded, applied member by member.

The stored bytes are checked against the layer's digest and size, and the tar stream
against its diff_id; a damaged blob is reported by its digest before anything else.
"""

from __future__ import annotations

import contextlib
import errno
import io
import tarfile
import zlib

from bundlebench.bundle.compression import decompressing_reader
from bundlebench.bundle.extract import ExtractStats, ProgressCallback, UnsafeArchiveError
from bundlebench.bundle.rootfs import RootfsError
from bundlebench.errors import BundlebenchError
from bundlebench.image.blobs import VerifyingReader, check_size
from bundlebench.image.errors import ImageError
from bundlebench.image.layers import LayerWriter
from bundlebench.image.model import LayerRef
from bundlebench.image.prefetch import Prefetcher
from bundlebench.image.source import Source

BUFFER = 1 << 20
# tarfile's stream reader copies what is left of its buffer on every read: keep it small
TAR_BUFFER = 64 << 10


def _read_errors() -> tuple[type[BaseException], ...]:
    errors: tuple[type[BaseException], ...] = (
        tarfile.TarError, EOFError, zlib.error, ValueError, OSError)
    with contextlib.suppress(ImportError):
        import zstandard

        errors += (zstandard.ZstdError,)
    return errors


def apply_layer(source: Source, layer: LayerRef, index: int, writer: LayerWriter,
                stats: ExtractStats, progress: ProgressCallback | None = None) -> str:
    """Apply one layer, verifying its digest, size and diff_id; returns its compression."""
    what = f"layer {index + 1} ({layer.digest or layer.name})"
    size = check_size(source, layer.name, layer.size, what)
    blob = VerifyingReader(source.open(layer.name), layer.digest, layer.size, what)
    try:
        stream, compression = decompressing_reader(io.BufferedReader(blob, BUFFER), what)
        content = VerifyingReader(stream, layer.diff_id, None, f"uncompressed {what}")
        ahead = Prefetcher(content)
        try:
            writer.begin_layer(index)
            with tarfile.open(fileobj=ahead, mode="r|", bufsize=TAR_BUFFER) as tar:
                for member in tar:
                    stats.members += 1
                    _apply_one(writer, member, tar, stats, what)
                    if progress:
                        progress(blob.count, size)
            writer.end_layer()
            ahead.read_to_end()
            ahead.close()
            blob.verify()
            content.verify()
        except BundlebenchError:
            raise
        except _read_errors() as error:
            ahead.close()
            blob.verify()  # a damaged blob says so by its digest first
            raise ImageError(f"{what} is truncated or corrupt ({error}): the image is damaged")\
                from None
        finally:
            ahead.close()
    finally:
        blob.close()
    if progress:
        progress(size, size)
    return compression


def _apply_one(writer: LayerWriter, member: tarfile.TarInfo, tar: tarfile.TarFile,
               stats: ExtractStats, what: str) -> None:
    try:
        writer.apply_member(member, tar, stats)
    except UnsafeArchiveError as error:
        raise UnsafeArchiveError(f"{what}: {error}") from None
    except RootfsError as error:
        raise UnsafeArchiveError(
            f"{what} member {member.name!r} cannot be placed: {error}") from None
    except OSError as error:
        if error.errno is None:
            raise  # a decoding error (a bad gzip stream): the layer is damaged
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise BundlebenchError(f"no space left while applying {what}: free some space")\
                from None
        raise BundlebenchError(
            f"could not apply {member.name!r} of {what}: {error.strerror or error}") from None
