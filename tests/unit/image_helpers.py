"""Synthetic OCI image layouts and docker archives, written from plain Python data.

An image is a dict:

    {"layers": [[F("etc/x", b"..."), W("etc/old")], ...],   # one list per layer
     "config": {"Cmd": ["sh"]},                              # the image config's `config`
     "platform": "linux/amd64", "ref": "demo:1", "compression": "gzip",
     "history": [...]}                                       # optional

and a layout's index lists images, or {"index": [images...], "ref": ...} for nesting.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import zstandard

INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar"
SUFFIX = {"gzip": "+gzip", "zstd": "+zstd", "none": ""}


def _info(path: str, kind: bytes, mode: int, **fields: Any) -> tarfile.TarInfo:
    info = tarfile.TarInfo(path)
    info.type = kind
    info.mode = mode
    info.mtime = 1_700_000_000
    xattrs = fields.pop("xattrs", None)
    if xattrs:
        info.pax_headers = {f"SCHILY.xattr.{k}": v for k, v in xattrs.items()}
    for key, value in fields.items():
        setattr(info, key, value)
    return info


def F(path: str, data: bytes = b"", mode: int = 0o644, **fields: Any) -> tuple:
    info = _info(path, tarfile.REGTYPE, mode, **fields)
    info.size = len(data)
    return info, data


def D(path: str, mode: int = 0o755, **fields: Any) -> tuple:
    return _info(path, tarfile.DIRTYPE, mode, **fields), b""


def S(path: str, target: str) -> tuple:
    return _info(path, tarfile.SYMTYPE, 0o777, linkname=target), b""


def H(path: str, target: str) -> tuple:
    return _info(path, tarfile.LNKTYPE, 0o644, linkname=target), b""


def W(path: str) -> tuple:
    parent, _, name = path.rpartition("/")
    return F(f"{parent}/.wh.{name}" if parent else f".wh.{name}")


def OPQ(directory: str) -> tuple:
    return F(f"{directory}/.wh..wh..opq")


def tar_bytes(entries: list[tuple]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if data else None)
    return buffer.getvalue()


def compress(data: bytes, compression: str) -> bytes:
    if compression == "gzip":
        return gzip.compress(data, compresslevel=1, mtime=0)
    if compression == "zstd":
        return zstandard.ZstdCompressor().compress(data)
    return data


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _platform(text: str) -> dict[str, str]:
    parts = text.split("/")
    platform = {"os": parts[0], "architecture": parts[1]}
    if len(parts) > 2:
        platform["variant"] = parts[2]
    return platform


class LayoutWriter:
    """Writes blobs into ``root/blobs/sha256`` and remembers what it wrote."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        self.layer_descriptors: list[dict[str, Any]] = []

    def blob(self, data: bytes, media_type: str, **extra: Any) -> dict[str, Any]:
        digest = sha256(data)
        (self.root / "blobs" / "sha256" / digest.split(":")[1]).write_bytes(data)
        return {"mediaType": media_type, "digest": digest, "size": len(data), **extra}

    def json_blob(self, obj: Any, media_type: str, **extra: Any) -> dict[str, Any]:
        return self.blob(json.dumps(obj).encode(), media_type, **extra)

    def image(self, image: dict[str, Any]) -> dict[str, Any]:
        compression = image.get("compression", "gzip")
        layers, diff_ids = [], []
        for entries in image["layers"]:
            raw = tar_bytes(entries)
            diff_ids.append(sha256(raw))
            layers.append(self.blob(compress(raw, compression), LAYER + SUFFIX[compression]))
        self.layer_descriptors.extend(layers)
        config = image_config(image, diff_ids)
        config_desc = self.json_blob(config, CONFIG)
        manifest = {"schemaVersion": 2, "mediaType": MANIFEST, "config": config_desc,
                    "layers": layers}
        extra: dict[str, Any] = {}
        if image.get("platform"):
            extra["platform"] = _platform(image["platform"])
        annotations = dict(image.get("annotations", {}))
        if image.get("ref"):
            annotations["org.opencontainers.image.ref.name"] = image["ref"]
        if annotations:
            extra["annotations"] = annotations
        return self.json_blob(manifest, MANIFEST, **extra)

    def entry(self, item: dict[str, Any]) -> dict[str, Any]:
        if "index" not in item:
            return self.image(item)
        children = [self.entry(child) for child in item["index"]]
        extra = {"annotations": {"org.opencontainers.image.ref.name": item["ref"]}} \
            if item.get("ref") else {}
        return self.json_blob({"schemaVersion": 2, "mediaType": INDEX, "manifests": children},
                              INDEX, **extra)


def image_config(image: dict[str, Any], diff_ids: list[str]) -> dict[str, Any]:
    platform = _platform(image.get("platform") or "linux/amd64")
    config = {
        "created": "2024-01-01T00:00:00Z",
        **platform,
        "config": image.get("config", {}),
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    if "history" in image:
        config["history"] = image["history"]
    else:
        config["history"] = [{"created_by": f"layer {i}"} for i in range(len(diff_ids))]
    config.update(image.get("extra_config", {}))
    return config


def write_oci_layout(root: Path, entries: list[dict[str, Any]]) -> LayoutWriter:
    """An OCI layout at ``root`` whose index.json lists ``entries``."""
    writer = LayoutWriter(root)
    manifests = [writer.entry(item) for item in entries]
    (root / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    (root / "index.json").write_text(json.dumps(
        {"schemaVersion": 2, "mediaType": INDEX, "manifests": manifests}))
    return writer


def tar_directory(directory: Path, archive: Path) -> Path:
    with tarfile.open(archive, "w") as tar:
        for path in sorted(directory.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(directory)), recursive=False)
    return archive


def write_docker_archive(path: Path, images: list[dict[str, Any]]) -> Path:
    """A docker-archive tar (the classic `docker save` shape) holding ``images``."""
    members: list[tuple[str, bytes]] = []
    manifest = []
    repositories: dict[str, dict[str, str]] = {}
    for image in images:
        layer_names, diff_ids = [], []
        for entries in image["layers"]:
            raw = tar_bytes(entries)
            diff_ids.append(sha256(raw))
            layer_id = hashlib.sha256(raw + str(len(members)).encode()).hexdigest()
            name = f"{layer_id}/layer.tar"
            members.append((name, raw))
            layer_names.append(name)
        config = json.dumps(image_config(image, diff_ids)).encode()
        config_name = sha256(config).split(":")[1] + ".json"
        members.append((config_name, config))
        tags = [image["ref"]] if image.get("ref") else []
        manifest.append({"Config": config_name, "RepoTags": tags, "Layers": layer_names})
        for tag in tags:
            repo, _, version = tag.rpartition(":")
            repositories.setdefault(repo, {})[version] = layer_names[-1].split("/")[0]
    members.append(("manifest.json", json.dumps(manifest).encode()))
    members.append(("repositories", json.dumps(repositories).encode()))
    with tarfile.open(path, "w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def tree(root: Path) -> dict[str, Any]:
    """A comparable picture of a directory: path -> content, link target or 'dir'."""
    found: dict[str, Any] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            found[rel] = ("symlink", str(path.readlink()))
        elif path.is_dir():
            found[rel] = "dir"
        else:
            found[rel] = path.read_bytes()
    return found
