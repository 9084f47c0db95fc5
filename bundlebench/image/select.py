"""Choosing one image from a layout: by ref name, then by platform."""

from __future__ import annotations

from bundlebench.image.errors import ImageError
from bundlebench.image.model import Candidate, ImageRecord, Platform, host_platform
from bundlebench.image.open import Image


def ref_matches(ref: str, wanted: str) -> bool:
    """Exact, or the same name under a registry prefix (``alpine:3`` and
    ``docker.io/library/alpine:3``)."""
    return ref == wanted or ref.endswith("/" + wanted)


def select_image(image: Image, ref: str | None = None,
                 platform: str | None = None) -> ImageRecord:
    """Load the one image that ``ref`` and ``platform`` designate, or explain why not."""
    label = image.source.label
    candidates = [c for c in image.candidates() if not c.attestation]
    if not candidates:
        raise ImageError(f"{label} holds no runnable image manifest")
    if ref is not None:
        chosen = [c for c in candidates if any(ref_matches(r, ref) for r in c.refs)]
        if not chosen:
            raise ImageError(f"{label} has no image named {ref!r}: {_refs_hint(candidates)}")
        if len(_images(chosen)) > 1:
            raise ImageError(
                f"{label} has several images that {ref!r} names ({_names(chosen)}): "
                "give the full name with --ref"
            )
        candidates = chosen
    elif len(_images(candidates)) > 1:
        raise ImageError(
            f"{label} holds several images ({_names(candidates)}): choose one with --ref")
    wanted = Platform.parse(platform) if platform else None
    records: dict[int, ImageRecord] = {}

    def platform_of(index: int) -> Platform | None:
        candidate = candidates[index]
        if candidate.platform is not None:
            return candidate.platform
        records[index] = records.get(index) or image.load(candidate)
        return records[index].platform

    if wanted is None and len(candidates) == 1:
        index = 0  # a single-platform image: take it, whatever its platform
    else:
        target = wanted or host_platform()
        matching = [i for i in range(len(candidates))
                    if (p := platform_of(i)) is not None and p.matches(target)]
        if not matching:
            available = sorted({str(p) for i in range(len(candidates))
                                if (p := platform_of(i)) is not None})
            raise ImageError(
                f"{label} has no image for {target} (it has {', '.join(available) or 'none'}): "
                "choose one with --platform"
            )
        exact = [i for i in matching if platform_of(i) == target]
        index = (exact or matching)[0]
    return records.get(index) or image.load(candidates[index])


def _images(candidates: list[Candidate]) -> set[tuple[str, ...]]:
    """One key per named image (the platforms of one image share their refs)."""
    return {tuple(c.refs) for c in candidates if c.refs}


def _names(candidates: list[Candidate]) -> str:
    return ", ".join(sorted({c.refs[-1] for c in candidates if c.refs}))


def _refs_hint(candidates: list[Candidate]) -> str:
    names = sorted({r for c in candidates for r in c.refs})
    return f"it has {', '.join(names)}" if names else "its images have no ref names"
