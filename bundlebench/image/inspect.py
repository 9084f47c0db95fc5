"""What an image layout or archive holds, for `bundlebench images`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bundlebench.image.open import open_image
from bundlebench.image.tracker import layer_history


def describe_image(path: Path) -> dict[str, Any]:
    """Every image of a layout or archive: refs, platform, digests, layers, sizes.

    Manifests and configs are verified as they are read; layers are only sized.
    """
    image = open_image(Path(path))
    try:
        images = []
        for candidate in image.candidates():
            if candidate.attestation:
                continue  # build attestations are not runnable images
            record = image.load(candidate)
            commands = layer_history(record.config, len(record.layers))
            layers = [
                {"digest": layer.digest, "diff_id": layer.diff_id, "media_type": layer.media_type,
                 "size": layer.size, "command": commands[i][0]}
                for i, layer in enumerate(record.layers)
            ]
            images.append({
                "refs": record.refs,
                "platform": str(record.platform) if record.platform else None,
                "manifest": record.manifest_digest,
                "config": record.config_digest,
                "created": record.config.get("created"),
                "size": sum(layer["size"] or 0 for layer in layers),
                "layers": layers,
            })
        return {"source": image.source.label, "format": image.kind, "images": images}
    finally:
        image.source.close()
