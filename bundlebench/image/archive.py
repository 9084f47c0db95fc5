"""docker-archive tars (`docker save`, `podman save`): manifest.json and repositories.

There are no descriptors here: a config named after its sha256 (``<hex>.json`` or
``blobs/sha256/<hex>``) is checked against that name, and every layer against the
diff_id its config gives (and its own name, when that is a digest).
"""

from __future__ import annotations

import re
from typing import Any

from bundlebench.image.blobs import MAX_JSON_BLOB, check_size, read_json
from bundlebench.image.errors import ImageError
from bundlebench.image.model import Candidate, ImageRecord, LayerRef, config_platform, diff_ids
from bundlebench.image.source import Source
from runtime.jsonread import JSONInputError
from runtime.jsonread import read_json as parse_json

_HEX_NAME = re.compile(r"(?:^|/)(?:blobs/sha256/)?([a-f0-9]{64})(?:\.json|\.tar)?$")
_PLAIN_TAR = "application/vnd.docker.image.rootfs.diff.tar"


def is_docker_archive(source: Source) -> bool:
    return source.size("manifest.json") is not None


def _digest_from_name(name: str) -> str | None:
    match = _HEX_NAME.search(name)
    return f"sha256:{match.group(1)}" if match else None


class DockerArchive:
    """The images of a docker-archive tar."""

    kind = "docker-archive"

    def __init__(self, source: Source) -> None:
        self.source = source
        self._entries = self._read_manifest()

    def _read_plain(self, name: str) -> Any:
        size = self.source.size(name)
        if size is None:
            return None
        if size > MAX_JSON_BLOB:
            raise ImageError(f"{self.source.label}/{name} is too large ({size} bytes)")
        with self.source.open(name) as handle:
            data = handle.read()
        try:
            return parse_json(data, f"{self.source.label}/{name}", max_bytes=MAX_JSON_BLOB)
        except JSONInputError as error:
            raise ImageError(str(error)) from None

    def _read_manifest(self) -> list[dict[str, Any]]:
        entries = self._read_plain("manifest.json")
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ImageError(
                f"{self.source.label}/manifest.json is not a list of images: "
                "the docker archive is damaged"
            )
        for i, entry in enumerate(entries):
            if not isinstance(entry.get("Config"), str) or not isinstance(entry.get("Layers"),
                                                                           list):
                raise ImageError(
                    f"{self.source.label}/manifest.json entry {i} lacks Config or Layers: "
                    "the docker archive is damaged"
                )
        return entries

    def _legacy_refs(self) -> dict[str, list[str]]:
        """Refs from the old `repositories` file, keyed by the id of an image's top layer."""
        repositories = self._read_plain("repositories")
        refs: dict[str, list[str]] = {}
        if isinstance(repositories, dict):
            for repo, tags in repositories.items():
                if isinstance(tags, dict):
                    for tag, layer_id in tags.items():
                        if isinstance(layer_id, str):
                            refs.setdefault(layer_id, []).append(f"{repo}:{tag}")
        return refs

    def candidates(self) -> list[Candidate]:
        legacy = self._legacy_refs()
        found = []
        for entry in self._entries:
            tags = entry.get("RepoTags")
            refs = [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []
            if not refs and entry["Layers"] and isinstance(entry["Layers"][-1], str):
                refs = legacy.get(entry["Layers"][-1].split("/")[0], [])
            found.append(Candidate(refs, None, entry, _digest_from_name(entry["Config"])))
        return found

    def load(self, candidate: Candidate) -> ImageRecord:
        entry: dict[str, Any] = candidate.key
        name = entry["Config"]
        digest = _digest_from_name(name)
        what = f"image config {name}"
        config = read_json(self.source, name, digest, None, what)
        if not isinstance(config, dict):
            raise ImageError(f"{what} is not a JSON object: the docker archive is damaged")
        ids = diff_ids(config, what)
        if len(ids) != len(entry["Layers"]):
            raise ImageError(
                f"manifest.json lists {len(entry['Layers'])} layers for {name} but its config "
                f"has {len(ids)} diff_ids: the docker archive is damaged"
            )
        sources = entry.get("LayerSources") if isinstance(entry.get("LayerSources"), dict) else {}
        layers = []
        for i, layer_name in enumerate(entry["Layers"]):
            if not isinstance(layer_name, str):
                raise ImageError(f"manifest.json layer {i} of {name} is not a file name")
            size = check_size(self.source, layer_name, None, f"layer {layer_name}")
            layer_digest = _digest_from_name(layer_name) if "blobs/" in layer_name else None
            media = sources.get(layer_digest, {}).get("mediaType") if layer_digest else None
            layers.append(LayerRef(layer_name, media or _PLAIN_TAR, layer_digest, size, ids[i]))
        return ImageRecord(candidate.refs, config_platform(config), None, digest, config, layers)
