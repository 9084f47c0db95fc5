"""OCI image layouts: the oci-layout marker, index.json, and blobs/<alg>/<hex>."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bundlebench.image.blobs import MAX_JSON_BLOB, blob_name, read_json
from bundlebench.image.errors import ImageError
from bundlebench.image.model import (
    CONTAINERD_NAME,
    INDEX_TYPES,
    MANIFEST_TYPES,
    REF_NAME,
    Candidate,
    Descriptor,
    ImageRecord,
    LayerRef,
    config_platform,
    diff_ids,
)
from bundlebench.image.source import Source
from runtime.jsonread import JSONInputError
from runtime.jsonread import read_json as parse_json

MAX_INDEX_DEPTH = 8
CONFIG_TYPES = frozenset({
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
})
_ATTESTATION = "vnd.docker.reference.type"


def is_oci_layout(source: Source) -> bool:
    return source.size("oci-layout") is not None and source.size("index.json") is not None


def _short(digest: str) -> str:
    return digest.split(":", 1)[-1][:12]


class OciLayout:
    """The images of an OCI image layout."""

    kind = "oci-layout"

    def __init__(self, source: Source) -> None:
        self.source = source
        self._check_marker()

    def _check_marker(self) -> None:
        marker = self._read_plain("oci-layout")
        version = marker.get("imageLayoutVersion") if isinstance(marker, dict) else None
        if not isinstance(version, str) or not version.startswith("1."):
            raise ImageError(
                f"{self.source.label}/oci-layout gives layout version {version!r}: "
                "only 1.x layouts are supported"
            )

    def _read_plain(self, name: str) -> Any:
        size = self.source.size(name)
        if size is None:
            raise ImageError(f"{name} is missing from {self.source.label}: not an OCI layout")
        if size > MAX_JSON_BLOB:
            raise ImageError(f"{self.source.label}/{name} is too large ({size} bytes)")
        with self.source.open(name) as handle:
            data = handle.read()
        try:
            return parse_json(data, f"{self.source.label}/{name}", max_bytes=MAX_JSON_BLOB)
        except JSONInputError as error:
            raise ImageError(str(error)) from None

    def read_blob_json(self, descriptor: Descriptor, what: str) -> Any:
        return read_json(self.source, blob_name(descriptor.digest), descriptor.digest,
                         descriptor.size, what)

    def candidates(self) -> list[Candidate]:
        """Every image manifest reachable from index.json, nested indexes included."""
        index = self._read_plain("index.json")
        found: list[Candidate] = []
        for i, obj in enumerate(_manifest_list(index, "index.json")):
            descriptor = Descriptor.from_json(obj, f"index.json manifests[{i}]")
            refs = [descriptor.annotations[key] for key in (REF_NAME, CONTAINERD_NAME)
                    if key in descriptor.annotations]
            found.extend(self._expand(descriptor, refs, 0))
        return found

    def _expand(self, descriptor: Descriptor, refs: list[str], depth: int) -> Iterator[Candidate]:
        media_type = descriptor.media_type
        what = f"{'index' if media_type in INDEX_TYPES else 'manifest'} {descriptor.digest}"
        if media_type in MANIFEST_TYPES:
            attestation = _ATTESTATION in descriptor.annotations or (
                descriptor.platform is not None and descriptor.platform.os == "unknown")
            yield Candidate(list(refs), descriptor.platform, descriptor, descriptor.digest,
                            attestation)
            return
        if media_type not in INDEX_TYPES:
            return  # artifacts and signatures are not runnable images
        if depth >= MAX_INDEX_DEPTH:
            raise ImageError(f"{what} nests indexes more than {MAX_INDEX_DEPTH} deep: refused")
        child = self.read_blob_json(descriptor, what)
        for i, obj in enumerate(_manifest_list(child, what)):
            nested = Descriptor.from_json(obj, f"{what} manifests[{i}]")
            yield from self._expand(nested, refs, depth + 1)

    def load(self, candidate: Candidate) -> ImageRecord:
        """Read and verify the manifest and config of one candidate."""
        descriptor: Descriptor = candidate.key
        what = f"manifest {descriptor.digest}"
        manifest = self.read_blob_json(descriptor, what)
        if not isinstance(manifest, dict):
            raise ImageError(f"{what} is not a JSON object: the image is damaged")
        config_desc = Descriptor.from_json(manifest.get("config"), f"{what} config")
        if config_desc.media_type and config_desc.media_type not in CONFIG_TYPES:
            raise ImageError(
                f"{what} is not a container image (its config is {config_desc.media_type}): "
                "choose another with --ref or --platform"
            )
        config = self.read_blob_json(config_desc, f"image config {config_desc.digest}")
        if not isinstance(config, dict):
            raise ImageError(f"image config {config_desc.digest} is not a JSON object")
        layer_objs = manifest.get("layers")
        if not isinstance(layer_objs, list):
            raise ImageError(f"{what} has no layers list: the image is damaged")
        ids = diff_ids(config, f"image config {_short(config_desc.digest)}")
        if len(ids) != len(layer_objs):
            raise ImageError(
                f"{what} lists {len(layer_objs)} layers but its config has {len(ids)} "
                "diff_ids: the image is damaged"
            )
        layers = []
        for i, obj in enumerate(layer_objs):
            layer = Descriptor.from_json(obj, f"{what} layers[{i}]")
            layers.append(LayerRef(blob_name(layer.digest), layer.media_type, layer.digest,
                                   layer.size, ids[i]))
        return ImageRecord(candidate.refs, candidate.platform or config_platform(config),
                           descriptor.digest, config_desc.digest, config, layers)


def _manifest_list(index: Any, what: str) -> list[Any]:
    manifests = index.get("manifests") if isinstance(index, dict) else None
    if not isinstance(manifests, list):
        raise ImageError(f"{what} has no manifests list: the image is damaged")
    return manifests
