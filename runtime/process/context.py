"""What the setup children get from P through fork."""

from __future__ import annotations

from runtime.process.prepare import Security
from runtime.sync import Channel
from runtime.trace import Tracer

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any


class InitContext:
    """Everything the setup children need, handed over by fork."""

    def __init__(self, config: dict[str, Any], bundle: str, rootfs: str, ns_plan: Any,
                 ns_fds: list[tuple[str, int]], channel: Channel, tracer: Tracer, fifo_fd: int,
                 no_pivot: bool, preserve_fds: int, rootless: bool, container_id: str,
                 lock_fd: int = -1) -> None:
        self.config = config
        self.bundle = bundle
        self.rootfs = rootfs
        self.ns_plan = ns_plan
        self.ns_fds = ns_fds
        self.channel = channel
        self.tracer = tracer
        self.fifo_fd = fifo_fd
        self.no_pivot = no_pivot
        self.preserve_fds = preserve_fds
        self.rootless = rootless
        self.container_id = container_id
        self.lock_fd = lock_fd
        self.security = Security()
        self.cgroup: Any = None
        self.join_in_child = True
