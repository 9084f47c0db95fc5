"""Read a stream ahead in a thread, so decompression and hashing overlap with writing.

zlib, zstd and hashlib release the GIL on large buffers, so on two cores the layer's
bytes are decoded while the previous ones are being written to the rootfs.
"""

from __future__ import annotations

import io
import queue
import threading
from typing import BinaryIO

CHUNK = 1 << 20
DEPTH = 8


class Prefetcher(io.RawIOBase):
    """A reader over ``source`` fed by a background thread; close() stops the thread.

    An exception raised while reading ahead is raised again, unchanged, by the read
    that reaches it.
    """

    def __init__(self, source: BinaryIO, chunk: int = CHUNK, depth: int = DEPTH) -> None:
        self._source = source
        self._chunk = chunk
        self._queue: queue.Queue[bytes | BaseException] = queue.Queue(depth)
        self._stop = threading.Event()
        self._pending = memoryview(b"")
        self._eof = False
        self._thread = threading.Thread(target=self._run, name="layer-prefetch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                data = self._source.read(self._chunk)
                self._put(data)
                if not data:
                    return
        except BaseException as error:  # handed to the reader, which raises it
            self._put(error)

    def _put(self, item: bytes | BaseException) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if not self._pending:
            if self._eof:
                return 0
            item = self._queue.get()
            if isinstance(item, BaseException):
                self._eof = True
                raise item
            if not item:
                self._eof = True
                return 0
            self._pending = memoryview(item)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def read_to_end(self) -> None:
        """Consume everything the thread still produces (errors are raised)."""
        while self.read(self._chunk):
            pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        super().close()
