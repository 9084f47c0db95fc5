"""The shapes shared by OCI layouts and docker archives: platforms, descriptors, images."""

from __future__ import annotations

import platform as _platform
from dataclasses import dataclass, field
from typing import Any

from bundlebench.image.blobs import parse_digest
from bundlebench.image.errors import ImageError

REF_NAME = "org.opencontainers.image.ref.name"
CONTAINERD_NAME = "io.containerd.image.name"

INDEX_TYPES = frozenset({
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
})
MANIFEST_TYPES = frozenset({
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
})

_MACHINES = {
    "x86_64": ("amd64", ""), "amd64": ("amd64", ""), "i386": ("386", ""),
    "i686": ("386", ""), "aarch64": ("arm64", ""), "arm64": ("arm64", ""),
    "armv7l": ("arm", "v7"), "armv6l": ("arm", "v6"), "ppc64le": ("ppc64le", ""),
    "s390x": ("s390x", ""), "riscv64": ("riscv64", ""), "mips64": ("mips64", ""),
    "loongarch64": ("loong64", ""),
}


@dataclass(frozen=True)
class Platform:
    """An os/architecture[/variant] pair such as linux/arm64/v8."""

    os: str
    architecture: str
    variant: str = ""

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)

    @classmethod
    def parse(cls, text: str) -> Platform:
        parts = text.strip().split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise ImageError(
                f"platform {text!r} is not of the form os/arch[/variant]: "
                "use e.g. linux/amd64 or linux/arm/v7"
            )
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else "")

    @classmethod
    def from_json(cls, obj: Any) -> Platform | None:
        if not isinstance(obj, dict):
            return None
        os_name, arch = obj.get("os"), obj.get("architecture")
        if not isinstance(os_name, str) or not isinstance(arch, str):
            return None
        variant = obj.get("variant")
        return cls(os_name, arch, variant if isinstance(variant, str) else "")

    def matches(self, wanted: Platform) -> bool:
        """True when this platform serves ``wanted`` (no variant wanted: any variant)."""
        if (self.os, self.architecture) != (wanted.os, wanted.architecture):
            return False
        if not wanted.variant:
            return True
        mine = self.variant or ("v8" if self.architecture == "arm64" else "")
        return mine == wanted.variant


def host_platform() -> Platform:
    """linux/<the host's architecture>, in image-spec (GOARCH) spelling."""
    machine = _platform.machine().lower()
    arch, variant = _MACHINES.get(machine, (machine, ""))
    return Platform("linux", arch, variant)


@dataclass(frozen=True)
class Descriptor:
    """A validated content descriptor."""

    media_type: str
    digest: str
    size: int
    annotations: dict[str, str] = field(default_factory=dict)
    platform: Platform | None = None

    @classmethod
    def from_json(cls, obj: Any, what: str) -> Descriptor:
        if not isinstance(obj, dict):
            raise ImageError(f"{what} is not a descriptor object: the image is damaged")
        parse_digest(obj.get("digest"), what)
        size = obj.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ImageError(f"{what} has no valid size: the image is damaged")
        media_type = obj.get("mediaType")
        annotations = obj.get("annotations")
        return cls(
            media_type if isinstance(media_type, str) else "",
            obj["digest"],
            size,
            {k: v for k, v in annotations.items() if isinstance(v, str)}
            if isinstance(annotations, dict) else {},
            Platform.from_json(obj.get("platform")),
        )


@dataclass(frozen=True)
class LayerRef:
    """One layer: where its bytes are, and what they must hash to."""

    name: str  # the file inside the image
    media_type: str
    digest: str | None  # of the stored (maybe compressed) bytes
    size: int | None
    diff_id: str | None  # of the uncompressed tar


@dataclass
class Candidate:
    """One image manifest found in a layout or archive, before it is loaded."""

    refs: list[str]
    platform: Platform | None
    key: Any  # a Descriptor (OCI) or a manifest.json entry (docker-archive)
    digest: str | None = None
    attestation: bool = False


@dataclass
class ImageRecord:
    """A loaded image: its config and the layers that build its rootfs, verified."""

    refs: list[str]
    platform: Platform | None
    manifest_digest: str | None
    config_digest: str | None
    config: dict[str, Any]
    layers: list[LayerRef]


def diff_ids(config: dict[str, Any], what: str) -> list[str]:
    """The rootfs.diff_ids of an image config, validated."""
    rootfs = config.get("rootfs")
    ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    if not isinstance(ids, list):
        raise ImageError(f"{what} has no rootfs.diff_ids list: the image config is damaged")
    for index, value in enumerate(ids):
        parse_digest(value, f"{what} rootfs.diff_ids[{index}]")
    return ids


def config_platform(config: dict[str, Any]) -> Platform | None:
    return Platform.from_json(config)
