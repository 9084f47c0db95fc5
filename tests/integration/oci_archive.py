"""A one-layer OCI image archive (the tar `ctr images import` takes) made from a rootfs
directory, so containerd tests need no registry and no other image tool."""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import tarfile
from pathlib import Path

ARCHES = {"x86_64": "amd64", "aarch64": "arm64"}


def _blob(archive: tarfile.TarFile, data: bytes) -> tuple[str, int]:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    info = tarfile.TarInfo("blobs/sha256/" + digest.split(":")[1])
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))
    return digest, len(data)


def _layer(rootfs: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as layer:
        for entry in sorted(os.listdir(rootfs)):
            layer.add(rootfs / entry, arcname=entry)
    return buffer.getvalue()


def write_archive(rootfs: Path, target: Path, name: str, cmd: list[str]) -> Path:
    """Write ``target``: an OCI image named ``name`` whose one layer is ``rootfs``."""
    layer = _layer(rootfs)
    config = {
        "architecture": ARCHES.get(platform.machine(), platform.machine()), "os": "linux",
        "config": {"Cmd": cmd, "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
                                       "/usr/bin:/sbin:/bin"]},
        "rootfs": {"type": "layers",
                   "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]},
    }
    with tarfile.open(target, "w") as archive:
        layer_digest, layer_size = _blob(archive, layer)
        config_digest, config_size = _blob(archive, json.dumps(config).encode())
        manifest = {
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": config_digest, "size": config_size},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": layer_digest, "size": layer_size}],
        }
        manifest_digest, manifest_size = _blob(archive, json.dumps(manifest).encode())
        index = {"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest, "size": manifest_size,
            "annotations": {"io.containerd.image.name": name,
                            "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1]}}]}
        for file_name, data in (("oci-layout", b'{"imageLayoutVersion": "1.0.0"}'),
                                ("index.json", json.dumps(index).encode())):
            info = tarfile.TarInfo(file_name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return target
