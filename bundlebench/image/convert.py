"""An image config becomes config.json, by the image-spec's conversion rules.

Entrypoint + Cmd give process.args, Env is kept verbatim (our defaults, and HOME from
the user's passwd entry, only fill in names it lacks), WorkingDir gives cwd, User is
resolved inside the rootfs, and the annotation fields (os, architecture, ...,
StopSignal, ExposedPorts, Volumes) are added with Config.Labels taking precedence, on
top of our default or rootless config. The root is writable unless ``readonly`` (as
umoci and podman make it); Volumes may also become tmpfs mounts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bundlebench.bundle.rootfs import Rootfs
from bundlebench.image.errors import ImageError
from bundlebench.image.home import home_directory
from bundlebench.image.users import resolve_user
from bundlebench.image.volumes import VOLUME_MODES, shown, tmpfs_mount, volume_paths
from runtime.defaults import default_config
from runtime.linux.constants import signal_number

ANNOTATION = "org.opencontainers.image."
# conversion.md defines no annotation for Config.Volumes, and keys under
# org.opencontainers.image are reserved for the image-spec, so ours has its own prefix.
VOLUMES_ANNOTATION = "org.bundlebench.image.volumes"

_TOP_LEVEL_ANNOTATIONS = (
    ("os", "os"), ("architecture", "architecture"), ("variant", "variant"),
    ("os.version", "os.version"), ("os.features", "os.features"),
    ("author", "author"), ("created", "created"),
)


@dataclass
class Conversion:
    """The generated config.json and what the user should know about it."""

    config: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)  # checked paths, for mount points


def _strings(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ImageError(f"image config field {what} is not a list of strings: "
                         "the image config is damaged")
    return list(value)


def _string(value: Any, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ImageError(f"image config field {what} is not a string: "
                         "the image config is damaged")
    return value


def _keys(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, dict):
        raise ImageError(f"image config field {what} is not an object: "
                         "the image config is damaged")
    return [str(key) for key in value]


def merge_env(image_env: list[str], defaults: list[str]) -> list[str]:
    """The image's Env, then each default whose name the image does not set."""
    names = {entry.split("=", 1)[0] for entry in image_env}
    return image_env + [d for d in defaults if d.split("=", 1)[0] not in names]


def convert_config(image_config: dict[str, Any], rootfs: Rootfs, *,
                   rootless: bool = False, readonly: bool = False,
                   volumes: str = "dirs") -> Conversion:
    """config.json for an image config, with names resolved inside ``rootfs``.

    ``volumes`` is "dirs" (mount points only) or "tmpfs" (a tmpfs mount on each).
    """
    if volumes not in VOLUME_MODES:
        raise ValueError(f"volumes must be one of {VOLUME_MODES}, not {volumes!r}")
    settings = image_config.get("config") or {}
    if not isinstance(settings, dict):
        raise ImageError("image config field config is not an object: the image is damaged")
    config = default_config(rootless=rootless)
    config["root"]["readonly"] = readonly
    process = config["process"]
    warnings: list[str] = []

    args = (_strings(settings.get("Entrypoint"), "config.Entrypoint")
            + _strings(settings.get("Cmd"), "config.Cmd"))
    if args:
        process["args"] = args
    else:
        warnings.append("the image has neither Entrypoint nor Cmd: process.args is "
                        f"{process['args']!r}, edit it before running")
    cwd = _string(settings.get("WorkingDir"), "config.WorkingDir") or "/"
    process["cwd"] = cwd if cwd.startswith("/") else "/" + cwd

    user_spec = _string(settings.get("User"), "config.User")
    user = resolve_user(user_spec, rootfs)
    home = "HOME=" + home_directory(user_spec, user.uid, rootfs)
    process["env"] = merge_env(_strings(settings.get("Env"), "config.Env"),
                               [home, *process["env"]])
    process["user"] = {"uid": user.uid, "gid": user.gid}
    if user.additional_gids:
        process["user"]["additionalGids"] = user.additional_gids
    if rootless and (user.uid or user.gid):
        warnings.append(f"the image runs as {user_spec!r} (uid {user.uid}), but a rootless "
                        "config maps only uid 0: add mappings or set process.user to 0")

    paths, refused = volume_paths(_keys(settings.get("Volumes"), "config.Volumes"))
    warnings.extend(refused)
    if volumes == "tmpfs":
        taken = {m.get("destination") for m in config["mounts"]}
        for path in paths:
            if path in taken:
                warnings.append(f"the image's volume {shown(path)} is already a mount of the "
                                "config: no tmpfs is added on it")
            else:
                config["mounts"].append(tmpfs_mount(path))

    annotations = _annotations(image_config, settings, warnings)
    if annotations:
        config["annotations"] = annotations
    return Conversion(config, warnings, paths)


def _annotations(image_config: dict[str, Any], settings: dict[str, Any],
                 warnings: list[str]) -> dict[str, str]:
    annotations: dict[str, str] = {}
    for field_name, key in _TOP_LEVEL_ANNOTATIONS:
        value = image_config.get(field_name)
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        if isinstance(value, str) and value:
            annotations[ANNOTATION + key] = value
    stop = _string(settings.get("StopSignal"), "config.StopSignal")
    if stop:
        annotations[ANNOTATION + "stopSignal"] = stop  # verbatim, as the spec asks
        try:
            signal_number(stop)
        except ValueError:
            warnings.append(f"the image's StopSignal {stop!r} is not a known signal")
    ports = _keys(settings.get("ExposedPorts"), "config.ExposedPorts")
    if ports:
        annotations[ANNOTATION + "exposedPorts"] = ",".join(ports)
    volumes = _keys(settings.get("Volumes"), "config.Volumes")
    if volumes:
        annotations[VOLUMES_ANNOTATION] = ",".join(volumes)
    labels = settings.get("Labels")
    if isinstance(labels, dict):
        for key, value in labels.items():
            if isinstance(value, str):
                annotations[str(key)] = value  # Labels win over implicit annotations
    elif labels is not None:
        raise ImageError("image config field config.Labels is not an object: "
                         "the image config is damaged")
    return annotations
