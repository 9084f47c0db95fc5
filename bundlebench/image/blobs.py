"""Content-addressed blobs: digest parsing, and reads verified against digest and size.

JSON blobs are read whole and checked before they are parsed. Layers are checked as
they stream (the rootfs is built in a staging directory that is thrown away when a
check fails, so unverified bytes are never used).
"""

from __future__ import annotations

import hashlib
import io
import re
from typing import Any, BinaryIO

from bundlebench.image.errors import BlobError, ImageError
from bundlebench.image.source import Source
from runtime.jsonread import JSONInputError
from runtime.jsonread import read_json as parse_json

ALGORITHMS = {"sha256": 64, "sha512": 128}
MAX_JSON_BLOB = 16 << 20
_ENCODED = re.compile(r"^[a-f0-9]+$")


def parse_digest(digest: object, what: str) -> tuple[str, str]:
    """(algorithm, hex) of a digest such as ``sha256:abc...``; ImageError when malformed."""
    if isinstance(digest, str) and ":" in digest:
        algorithm, _, encoded = digest.partition(":")
        length = ALGORITHMS.get(algorithm)
        if length and len(encoded) == length and _ENCODED.match(encoded):
            return algorithm, encoded
        if algorithm not in ALGORITHMS:
            raise ImageError(
                f"{what} uses digest algorithm {algorithm!r}: only sha256 and sha512 are supported"
            )
    raise ImageError(f"{what} has a malformed digest {digest!r}: the image is damaged")


def blob_name(digest: str) -> str:
    """Where an OCI layout keeps the blob with this digest."""
    algorithm, encoded = parse_digest(digest, "blob")
    return f"blobs/{algorithm}/{encoded}"


def digest_of(data: bytes, algorithm: str = "sha256") -> str:
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


class VerifyingReader(io.RawIOBase):
    """Counts and hashes what passes through; ``verify()`` checks both at the end."""

    def __init__(self, raw: BinaryIO, digest: str | None, size: int | None, what: str) -> None:
        self._raw = raw
        self.digest = digest
        self.size = size
        self.what = what
        self.count = 0
        algorithm = parse_digest(digest, what)[0] if digest else "sha256"
        self._hash = hashlib.new(algorithm)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        n = len(data)
        if n:
            buffer[:n] = data
            self._hash.update(data)
            self.count += n
            if self.size is not None and self.count > self.size:
                raise BlobError(
                    f"{self.what} is larger than the {self.size} bytes its descriptor gives: "
                    "the image is damaged"
                )
        return n

    def drain(self) -> None:
        """Read what is left, so that the digest covers the whole stream."""
        while self.read(1 << 20):
            pass

    def verify(self) -> str:
        """Drain, check size and digest, and return the digest that was computed."""
        self.drain()
        if self.size is not None and self.count != self.size:
            raise BlobError(
                f"{self.what} has {self.count} bytes where its descriptor says {self.size}: "
                "the blob is truncated or damaged"
            )
        computed = f"{self._hash.name}:{self._hash.hexdigest()}"
        if self.digest is not None and computed != self.digest:
            raise BlobError(
                f"{self.what} does not match its digest (got {computed}): "
                "the blob is damaged or was tampered with"
            )
        return computed

    def close(self) -> None:
        self._raw.close()
        super().close()


def check_size(source: Source, name: str, size: int | None, what: str) -> int:
    """The stored size of a blob, after checking that it exists and has ``size`` bytes."""
    stored = source.size(name)
    if stored is None:
        raise BlobError(f"{what} is missing from {source.label}: the image is incomplete")
    if size is not None and stored != size:
        raise BlobError(
            f"{what} has {stored} bytes where its descriptor says {size}: "
            "the blob is truncated or damaged"
        )
    return stored


def read_verified(source: Source, name: str, digest: str | None, size: int | None,
                  what: str, limit: int = MAX_JSON_BLOB) -> bytes:
    """The whole blob, checked against ``digest`` and ``size`` before it is returned."""
    stored = check_size(source, name, size, what)
    if stored > limit:
        raise ImageError(f"{what} is {stored} bytes, more than the {limit} allowed for JSON")
    with source.open(name) as handle:
        data = handle.read(limit + 1)
    if len(data) != stored:
        raise BlobError(f"{what} could not be read whole: the blob is truncated")
    if digest is not None:
        algorithm, _ = parse_digest(digest, what)
        if digest_of(data, algorithm) != digest:
            raise BlobError(
                f"{what} does not match its digest {digest}: the blob is damaged or was "
                "tampered with"
            )
    return data


def read_json(source: Source, name: str, digest: str | None, size: int | None,
              what: str) -> Any:
    """A verified JSON blob, parsed."""
    data = read_verified(source, name, digest, size, what)
    try:
        return parse_json(data, what, max_bytes=max(len(data), 1))
    except JSONInputError as error:
        raise ImageError(f"{what} {error.reason}: the image is damaged") from None
