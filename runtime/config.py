"""Reading a bundle's config.json and refusing, in one sentence, what we cannot run."""

from __future__ import annotations

import os

from runtime.errors import RuntimeFailure
from runtime.linux.constants import NAMESPACES, RLIMITS

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any

MAX_CONFIG_BYTES = 16 << 20


def load_bundle(bundle: str) -> tuple[dict[str, Any], str, str]:
    """(config, absolute bundle dir, absolute rootfs dir) of a bundle; RuntimeFailure if bad."""
    bundle = os.path.abspath(bundle or ".")
    path = os.path.join(bundle, "config.json")
    from runtime.jsonread import JSONInputError, read_json_file
    try:
        # Never blocks: a fifo named config.json is refused, not read for ever.
        config = read_json_file(path, max_bytes=MAX_CONFIG_BYTES)
    except FileNotFoundError:
        raise RuntimeFailure(f"bundle {bundle} has no config.json: "
                             "create one with `bundlebench-runtime spec`") from None
    except OSError as exc:
        raise RuntimeFailure(f"cannot read {path}: {exc.strerror}") from None
    except JSONInputError as exc:
        raise RuntimeFailure(str(exc)) from None
    if not isinstance(config, dict):
        raise RuntimeFailure(f"{path} must hold a JSON object")
    from runtime.shape import without_nulls
    config = without_nulls(config)
    root = config.get("root")
    if not isinstance(root, dict) or not isinstance(root.get("path"), str) or not root["path"]:
        raise RuntimeFailure(f"{path}: root.path is missing: name the rootfs directory")
    return config, bundle, resolve_rootfs(bundle, root["path"], path)


def resolve_rootfs(bundle: str, root_path: str, config_path: str = "config.json") -> str:
    """The rootfs directory that root.path names; RuntimeFailure unless it is a real
    directory reached without any symlink (as runc: a link could lead anywhere on the host).

    A relative root.path is taken from the bundle's real location, so only the
    components root.path itself names must be free of symlinks."""
    base = os.path.realpath(bundle)
    rootfs = os.path.normpath(os.path.join(base, root_path))
    if not os.path.isdir(rootfs):
        raise RuntimeFailure(f"rootfs {rootfs} (root.path in {config_path}) does not exist "
                             "or is not a directory")
    real = os.path.realpath(rootfs)
    if real != rootfs:
        raise RuntimeFailure(
            f"root.path {root_path!r} is or passes through a symlink ({rootfs} leads to "
            f"{real}): the rootfs must be a directory of its own, as runc requires, so "
            "replace the link with the directory itself")
    return rootfs


def validate(config: dict[str, Any], rootless: bool) -> None:
    """Refuse configs the runtime cannot honour, naming the field (the first problem)."""
    for refusal in shape_problems(config, rootless):
        raise refusal


def _refusal(pointer: str, message: str) -> RuntimeFailure:
    return RuntimeFailure(message, pointer=pointer)


def shape_problems(config: dict[str, Any], rootless: bool):  # -> Iterator[RuntimeFailure]
    """Every refusal of the config's shape and of the namespaces it needs, in order."""
    version = config.get("ociVersion")
    if not isinstance(version, str) or not version.startswith("1."):
        yield _refusal("/ociVersion", f"ociVersion {version!r} is not supported: use a 1.x "
                       "version")
    process = config.get("process")
    if not isinstance(process, dict):
        yield _refusal("/process", "config.json has no process: `create` needs process.args")
        process = {}
    else:
        args = process.get("args")
        if not isinstance(args, list) or not args or not all(isinstance(a, str) for a in args):
            yield _refusal("/process/args", "process.args must be a non-empty list of strings")
    cwd = process.get("cwd", "/")
    if not isinstance(cwd, str) or not cwd.startswith("/"):
        yield _refusal("/process/cwd", f"process.cwd {cwd!r} must be an absolute path")
    env = process.get("env") or []
    for i, entry in enumerate(env if isinstance(env, list) else [env]):
        if not isinstance(entry, str) or "=" not in entry:
            yield _refusal(f"/process/env/{i}",
                           f"process.env entry {entry!r} is not of the form KEY=VALUE")
    rlimits = process.get("rlimits") or []
    for i, rlimit in enumerate(rlimits if isinstance(rlimits, list) else [rlimits]):
        kind = rlimit.get("type") if isinstance(rlimit, dict) else None
        if not isinstance(kind, str) or kind not in RLIMITS:
            yield _refusal(f"/process/rlimits/{i}/type",
                           f"process.rlimits[{i}].type {kind!r} is not an allowed value: "
                           "use an RLIMIT_ name such as RLIMIT_NOFILE")
    linux = config.get("linux") or {}
    if not isinstance(linux, dict):
        linux = {}
    seen = set()
    namespaces = linux.get("namespaces") or []
    for i, ns in enumerate(namespaces if isinstance(namespaces, list) else [namespaces]):
        kind = ns.get("type") if isinstance(ns, dict) else None
        if not isinstance(kind, str) or kind not in NAMESPACES:
            yield _refusal(f"/linux/namespaces/{i}/type",
                           f"linux.namespaces[{i}].type {kind!r} is not an allowed value: "
                           f"use one of {', '.join(NAMESPACES)}")
        elif kind in seen:
            yield _refusal(f"/linux/namespaces/{i}/type",
                           f"linux.namespaces lists {kind!r} twice")
        else:
            seen.add(kind)
    if "mount" not in seen:
        # As runc: the mounts are made in the caller's namespace, then the init chroots.
        if linux.get("rootfsPropagation"):
            yield _refusal("/linux/rootfsPropagation", "linux.rootfsPropagation needs a "
                           "mount namespace: without one it would change the host's "
                           "propagation, so add {\"type\": \"mount\"} to linux.namespaces")
        if rootless or "user" in seen:
            yield _refusal("/linux/namespaces", "a container with a user namespace (or "
                           "rootless) needs a mount namespace too: it cannot mount its rootfs "
                           "in the host's, so add {\"type\": \"mount\"} to linux.namespaces")
    for field in ("hostname", "domainname"):
        if config.get(field) and "uts" not in seen:
            yield _refusal(f"/{field}", "hostname/domainname need a uts namespace in "
                           "linux.namespaces")
    for key in ("uidMappings", "gidMappings"):
        if linux.get(key) and "user" not in seen:
            yield _refusal(f"/linux/{key}", "linux.uidMappings need a user namespace in "
                           "linux.namespaces")
    if linux.get("timeOffsets") and "time" not in seen:
        yield _refusal("/linux/timeOffsets", "linux.timeOffsets need a time namespace in "
                       "linux.namespaces")
    if rootless:
        if "user" not in seen:
            yield RuntimeFailure("this config needs root: without root, a container needs a "
                                 "user namespace, so run as root or make the config rootless "
                                 "(`spec --rootless`)", pointer="/linux/namespaces", host=True)
        else:
            yield from _rootless_mapping_problems(linux)
    mounts = config.get("mounts") or []
    for i, mount in enumerate(mounts if isinstance(mounts, list) else [mounts]):
        dest = mount.get("destination") if isinstance(mount, dict) else None
        if not isinstance(dest, str) or not dest:
            yield _refusal(f"/mounts/{i}/destination", "a mount in config.json has no "
                           "destination")


def check_rootfs_reachable(config: dict[str, Any], rootfs: str) -> None:
    """With a user namespace, the container's root is another host uid: every directory
    above the rootfs must let it pass, or setup fails half-way with EACCES. Without a
    mount namespace the rootfs is mounted on the host: never the host's own root."""
    linux = config.get("linux") or {}
    kinds = {ns.get("type") for ns in linux.get("namespaces") or [] if isinstance(ns, dict)}
    if "linux" in config and "mount" not in kinds and os.path.realpath(rootfs) == "/":
        raise RuntimeFailure("root.path is the host's / and there is no mount namespace: the "
                             "container would mount over the host's own root, so add "
                             "{\"type\": \"mount\"} to linux.namespaces or use a rootfs dir")
    uid_maps = linux.get("uidMappings") or []
    host_uid = next((m.get("hostID") for m in uid_maps if m.get("containerID") == 0), None)
    if host_uid is None or host_uid == 0:
        return
    path = rootfs
    while True:
        try:
            st = os.stat(path)
        except OSError:
            return
        if st.st_uid != host_uid and not st.st_mode & 0o001:
            raise RuntimeFailure(f"{path} is not searchable by the container's root (host uid "
                                 f"{host_uid}): allow others to enter it (chmod o+x)")
        parent = os.path.dirname(path)
        if parent == path:
            return
        path = parent


def _rootless_mapping_problems(linux: dict[str, Any]):  # -> Iterator[RuntimeFailure]
    for key, own in (("uidMappings", os.geteuid()), ("gidMappings", os.getegid())):
        maps = linux.get(key) or []
        first = maps[0] if isinstance(maps, list) and maps else None
        if (len(maps) != 1 or not isinstance(first, dict) or first.get("hostID") != own
                or first.get("size") != 1):
            yield RuntimeFailure(
                f"linux.{key} must map exactly your own id ({own}) with size 1 when "
                "running rootless (newuidmap is not supported)", pointer=f"/linux/{key}",
                host=True)


def env_list_to_dict(env: list[str]) -> dict[str, str]:
    """Process env entries in order; a later KEY wins, as execve would see it."""
    result: dict[str, str] = {}
    for entry in env:
        key, _, value = entry.partition("=")
        result[key] = value
    return result


def merge_env(base: list[str], extra: list[str]) -> list[str]:
    """runc exec's rule: -e KEY=V replaces KEY from the config, new keys are appended."""
    merged = env_list_to_dict(base)
    for entry in extra:
        if "=" not in entry:
            raise RuntimeFailure(f"environment entry {entry!r} is not of the form KEY=VALUE")
        key, _, value = entry.partition("=")
        merged[key] = value
    return [f"{k}={v}" for k, v in merged.items()]
