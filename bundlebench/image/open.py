"""Open an image by path, whatever its form: OCI layout (dir or tar) or docker-archive."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from bundlebench.image.archive import DockerArchive, is_docker_archive
from bundlebench.image.errors import ImageError
from bundlebench.image.layout import OciLayout, is_oci_layout
from bundlebench.image.model import Candidate, ImageRecord
from bundlebench.image.source import Source, open_source


class Image(Protocol):
    """What unpack and images need from an image, in either form."""

    kind: str
    source: Source

    def candidates(self) -> list[Candidate]: ...

    def load(self, candidate: Candidate) -> ImageRecord: ...


def open_image(path: Path) -> Image:
    """The image at ``path``; the caller closes ``image.source``."""
    source = open_source(Path(path))
    try:
        if is_oci_layout(source):
            return OciLayout(source)
        if is_docker_archive(source):
            return DockerArchive(source)
    except BaseException:
        source.close()
        raise
    source.close()
    raise ImageError(
        f"{path} is neither an OCI image layout (oci-layout, index.json) nor a docker archive "
        "(manifest.json): give one of those"
    )
