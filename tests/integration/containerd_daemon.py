"""A private containerd for tests and benchmarks: its own root, state and socket under
``work``, no CRI plugin; started and stopped by its pid, never the host's daemon."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

CONFIG = """version = 2
root = "{work}/root"
state = "{work}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.opt"]
[grpc]
  address = "{work}/containerd.sock"
[ttrpc]
  address = "{work}/containerd.sock.ttrpc"
[metrics]
  address = ""
"""


@contextlib.contextmanager
def private_containerd(work: Path) -> Iterator[Path]:
    """Run containerd on ``work``; yields its socket once it answers."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "config.toml").write_text(CONFIG.format(work=work))
    socket = work / "containerd.sock"
    with open(work / "containerd.log", "wb") as log:
        daemon = subprocess.Popen(["containerd", "--config", str(work / "config.toml")],
                                  stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 30
            while subprocess.run(["ctr", "--address", str(socket), "version"],
                                 capture_output=True).returncode != 0:
                if daemon.poll() is not None:
                    raise RuntimeError("containerd exited: " +
                                       (work / "containerd.log").read_text()[-2000:])
                if time.monotonic() > deadline:
                    raise RuntimeError("containerd did not answer within 30 s")
                time.sleep(0.1)
            yield socket
        finally:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(30)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
