"""Quick actions: common config changes, each one undo step."""

from __future__ import annotations

import os
import shlex
from typing import Any

from bundlebench.edit.pointer import PointerError, child
from bundlebench.edit.session import EditSession
from bundlebench.errors import BundlebenchError

# The mount options `runc spec --rootless` strips: ids the user namespace cannot map.
_ID_OPTION_PREFIXES = ("uid=", "gid=")
ROOTLESS_SYS_MOUNT = {
    "destination": "/sys",
    "type": "none",
    "source": "/sys",
    "options": ["rbind", "nosuid", "noexec", "nodev", "ro"],
}


class ActionError(BundlebenchError):
    """A quick action cannot be applied to this config."""


def make_rootless(session: EditSession, uid: int | None = None, gid: int | None = None) -> None:
    """Transform the config as `runc spec --rootless` does (runc's specconv.ToRootless).

    A user namespace mapping container root to the current user (``uid``/``gid``,
    default the effective ids), no network namespace (sysfs needs one of its own, so
    /sys becomes a read-only rbind of the host's), no uid=/gid= mount options (a
    one-id mapping has no group 5), and no linux.resources (a plain user cannot set
    cgroup limits without delegation).
    """
    uid = os.geteuid() if uid is None else uid
    gid = os.getegid() if gid is None else gid
    data = session.data
    with session.transaction("Make the config rootless"):
        if not isinstance(data.get("linux"), dict):
            session.set("/linux", {})
        linux = data["linux"]
        namespaces = [
            ns for ns in _list(linux.get("namespaces"))
            if not (isinstance(ns, dict) and ns.get("type") in ("network", "user"))
        ]
        namespaces.append({"type": "user"})
        session.set("/linux/namespaces", namespaces)
        session.set("/linux/uidMappings", [{"containerID": 0, "hostID": uid, "size": 1}])
        session.set("/linux/gidMappings", [{"containerID": 0, "hostID": gid, "size": 1}])
        if isinstance(data.get("mounts"), list):
            session.set("/mounts", [_rootless_mount(m) for m in data["mounts"]])
        if "resources" in linux:
            session.remove("/linux/resources")


def _rootless_mount(mount: Any) -> Any:
    if not isinstance(mount, dict):
        return mount
    destination = mount.get("destination")
    if isinstance(destination, str) and os.path.normpath(destination) == "/sys":
        return dict(ROOTLESS_SYS_MOUNT)
    options = mount.get("options")
    if isinstance(options, list):
        mount = dict(mount)
        mount["options"] = [
            o for o in options if not (isinstance(o, str) and o.startswith(_ID_OPTION_PREFIXES))
        ]
    return mount


def add_mount(session: EditSession, destination: str, source: str = "",
              type_: str = "bind", options: list[str] | None = None) -> str:
    """Append a mount; return its pointer. A bind mount defaults to rbind,ro."""
    destination = destination.strip()
    if not destination.startswith("/"):
        raise ActionError(
            f"mount destination {destination!r} must be an absolute path inside the "
            "container, e.g. /data"
        )
    mount: dict[str, Any] = {"destination": destination, "type": type_ or "none"}
    if source:
        mount["source"] = source
    if options is None:
        options = ["rbind", "ro"] if type_ == "bind" else []
    if options:
        mount["options"] = list(options)
    mounts = session.data.get("mounts")
    with session.transaction(f"Add a mount at {destination}"):
        if not isinstance(mounts, list):
            session.set("/mounts", [])
        return session.add("/mounts/-", mount)


def namespace_types(session: EditSession) -> list[str]:
    """The namespace types linux.namespaces lists, in order."""
    return [ns["type"] for ns in _namespaces(session) if isinstance(ns.get("type"), str)]


def add_namespace(session: EditSession, type_: str, path: str | None = None) -> str:
    """Add a namespace of ``type_`` (joining ``path`` when given); return its pointer."""
    if type_ in namespace_types(session):
        raise ActionError(f"linux.namespaces already has a {type_} namespace")
    entry: dict[str, Any] = {"type": type_}
    if path:
        entry["path"] = path
    with session.transaction(f"Add the {type_} namespace"):
        if not isinstance(session.data.get("linux"), dict):
            session.set("/linux", {})
        if not isinstance(session.data["linux"].get("namespaces"), list):
            session.set("/linux/namespaces", [])
        return session.add("/linux/namespaces/-", entry)


def remove_namespace(session: EditSession, type_: str) -> None:
    """Remove every namespace entry of ``type_``."""
    indices = [i for i, ns in enumerate(_all_namespaces(session))
               if isinstance(ns, dict) and ns.get("type") == type_]
    if not indices:
        raise ActionError(f"linux.namespaces has no {type_} namespace to remove")
    with session.transaction(f"Remove the {type_} namespace"):
        for index in reversed(indices):
            session.remove(child("/linux/namespaces", index))


def toggle_readonly_root(session: EditSession) -> bool:
    """Flip root.readonly; return the new value."""
    root = session.data.get("root")
    if not isinstance(root, dict):
        raise ActionError('the config has no "root" object: add root.path first')
    value = not bool(root.get("readonly", False))
    session.set("/root/readonly", value, label=f"Set root.readonly to {str(value).lower()}")
    return value


def set_command(session: EditSession, text: str) -> list[str]:
    """Set process.args from a shell-like command line; return the arguments."""
    try:
        args = shlex.split(text)
    except ValueError as error:
        raise ActionError(f"the command cannot be split into arguments: {error}") from None
    if not args:
        raise ActionError("the command is empty: type a program and its arguments, e.g. sh -l")
    with session.transaction("Set the command"):
        if not isinstance(session.data.get("process"), dict):
            session.set("/process", {"cwd": "/"})
        session.set("/process/args", args)
    return args


def command_text(session: EditSession) -> str:
    """process.args as one shell-quoted line ("" when unset)."""
    try:
        args = session.get("/process/args")
    except PointerError:
        return ""
    if not isinstance(args, list):
        return ""
    return shlex.join(str(a) for a in args)


def _all_namespaces(session: EditSession) -> list[Any]:
    linux = session.data.get("linux")
    return _list(linux.get("namespaces")) if isinstance(linux, dict) else []


def _namespaces(session: EditSession) -> list[dict[str, Any]]:
    return [ns for ns in _all_namespaces(session) if isinstance(ns, dict)]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
