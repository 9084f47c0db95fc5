"""The lessons on namespaces: pid, mount (with pivot_root), user (with id maps)."""

from __future__ import annotations

import copy
import os

from bundlebench.lessons import config_parts as parts
from bundlebench.lessons.model import Config, Lesson


def _new_namespace_missing(config: Config, kind: str) -> list[str]:
    found = parts.namespace(config, kind)
    if found is None:
        return [f'linux.namespaces has no {kind} namespace: add {{"type": "{kind}"}}.']
    if found.get("path"):
        return [f"the {kind} namespace joins {found['path']}: remove its path to get a new one."]
    return []


def _judge_pid(output: str, _exit: int | None) -> str | None:
    if "my pid: 1\n" in output + "\n":
        return None
    return ("the shell is not PID 1: it runs in the host's pid namespace and sees its "
            "processes.")


PID = Lesson(
    name="pid",
    title="The pid namespace: be PID 1",
    goal="Give the container its own process numbers, so that its first process is PID 1 "
         "and it sees no process of the host.",
    edit='Add {"type": "pid"} to linux.namespaces (the command palette\'s "Config: add '
         'the pid namespace" does it).',
    field="/linux/namespaces",
    begin=lambda config: parts.without_namespace(config, "pid"),
    edit_missing=lambda config: _new_namespace_missing(config, "pid"),
    solve=lambda config: parts.with_namespace(config, "pid"),
    check=("sh", "-c", 'echo "my pid: $$"; '
                       'echo "processes I see: $(ls /proc | grep -c "^[0-9]")"'),
    expect="my pid: 1, and only the few processes of the check itself.",
    judge=_judge_pid,
    kernel="unshare(CLONE_NEWPID) made a new pid namespace for the children of the "
           "process that called it. The first one forked into it is PID 1 there, whatever "
           "its number on the host, and the kernel treats it as "
           "that namespace's init: orphans are given to it, and signals it has no handler "
           "for do not reach it. The /proc mounted inside lists only this namespace.",
    kinds=("namespace",),
    step_hint="at the namespace step the pid line of the stopped process's namespaces "
              "turns private.",
)

_LESSON_MOUNT = {"destination": "/lesson", "type": "tmpfs", "source": "tmpfs",
                 "options": ["size=1m"]}


def _mount_missing(config: Config) -> list[str]:
    for mount in parts.mounts(config):
        if mount.get("destination") == "/lesson":
            if mount.get("type") != "tmpfs":
                return ['the mount at /lesson is not a tmpfs: set its "type" to "tmpfs".']
            return []
    return ['mounts has no mount at /lesson: add {"destination": "/lesson", "type": '
            '"tmpfs", "source": "tmpfs"}.']


def _with_lesson_mount(config: Config) -> Config:
    result = copy.deepcopy(config)
    listed = result.get("mounts") if isinstance(result.get("mounts"), list) else []
    result["mounts"] = [*listed, dict(_LESSON_MOUNT)]
    return result


def _without_lesson_mount(config: Config) -> Config:
    result = copy.deepcopy(config)
    if isinstance(result.get("mounts"), list):
        result["mounts"] = [m for m in result["mounts"]
                            if not (isinstance(m, dict) and m.get("destination") == "/lesson")]
    return result


def _judge_mount(output: str, _exit: int | None) -> str | None:
    if any(line.split()[1:3] == ["/lesson", "tmpfs"] for line in output.splitlines()
           if len(line.split()) > 2):
        return None
    return "/proc/self/mounts lists no tmpfs at /lesson."


MOUNT = Lesson(
    name="mount",
    title="The mount namespace and pivot_root: a mount of your own",
    goal="Mount a tmpfs that exists only inside the container, and see that its / is the "
         "bundle's rootfs.",
    edit='Add {"destination": "/lesson", "type": "tmpfs", "source": "tmpfs"} to mounts '
         '(the command palette\'s "Config: add a mount…" asks for each part).',
    field="/mounts",
    begin=_without_lesson_mount,
    edit_missing=_mount_missing,
    solve=_with_lesson_mount,
    check=("sh", "-c", "grep -E ' /lesson | / ' /proc/self/mounts; ls -d /lesson"),
    expect="a line \"tmpfs /lesson tmpfs ...\": the container's own mount, which the host's "
           "mount table never shows.",
    judge=_judge_mount,
    kernel="unshare(CLONE_NEWNS) gave the container a private copy of the host's mount "
           "table. The runtime mounted the tmpfs at rootfs/lesson in that copy only, then "
           "pivot_root(2) made the rootfs the new / and the old root was lazily unmounted: "
           "nothing of the host's tree stays reachable, and the host never sees /lesson.",
    kinds=("mount", "pivot_root"),
    step_hint="run to pivot_root (r, then pivot_root): each stop highlights the mount "
              "table's changes.",
)

_MAPPING = [{"containerID": 0, "hostID": 100000, "size": 65536}]


def _user_missing(config: Config) -> list[str]:
    problems = _new_namespace_missing(config, "user")
    linux = parts.section(config, "linux")
    for key in ("uidMappings", "gidMappings"):
        listed = linux.get(key)
        if not isinstance(listed, list) or not any(
                isinstance(m, dict) and m.get("containerID") == 0 for m in listed):
            problems.append(f"linux.{key} maps no id to containerID 0: add "
                            '{"containerID": 0, "hostID": 100000, "size": 65536}.')
    return problems


def _with_user_namespace(config: Config) -> Config:
    result = parts.with_namespace(config, "user")
    if os.geteuid() == 0:
        result["linux"]["uidMappings"] = copy.deepcopy(_MAPPING)
        result["linux"]["gidMappings"] = copy.deepcopy(_MAPPING)
    else:  # without newuidmap a plain user can map only their own ids (as make rootless)
        result["linux"]["uidMappings"] = [{"containerID": 0, "hostID": os.geteuid(), "size": 1}]
        result["linux"]["gidMappings"] = [{"containerID": 0, "hostID": os.getegid(), "size": 1}]
    return result


def _judge_user(output: str, _exit: int | None) -> str | None:
    for line in output.splitlines():
        if line.startswith("uid_map:"):
            fields = line.split()[1:]
            if fields[:1] == ["0"] and fields != ["0", "0", "4294967295"]:
                return None
            return (f"uid_map reads {' '.join(fields) or 'nothing'}: the container runs "
                    "in the host's user namespace, its root is the host's root.")
    return "the check printed no uid_map."


USER = Lesson(
    name="user",
    title="The user namespace: root inside, nobody outside",
    goal="Map the container's root to an unprivileged id of the host, and read the map "
         "from inside.",
    edit='Add {"type": "user"} to linux.namespaces, and to linux.uidMappings and '
         'linux.gidMappings {"containerID": 0, "hostID": 100000, "size": 65536} (as a plain '
         'user, the palette\'s "Config: make rootless" maps your own id instead). Host uid 100000 '
         "must be able to enter the bundle's directories: a root's ~/.cache is closed to "
         "it, so run this lesson on a bundle made by `bundlebench demo /srv/lesson`.",
    field="/linux/uidMappings",
    begin=lambda config: parts.without_keys(parts.without_namespace(config, "user"),
                                            ("linux",), "uidMappings", "gidMappings"),
    edit_missing=_user_missing,
    solve=_with_user_namespace,
    check=("sh", "-c", 'echo "uid_map: $(cat /proc/self/uid_map)"; id; ls -ln /bin/sh'),
    expect="uid_map: 0 HOST-ID COUNT (inside id, host id, how many; 0 100000 65536 with the "
           "edit above) and id says uid=0: root here is an ordinary id on the host.",
    judge=_judge_user,
    kernel="unshare(CLONE_NEWUSER) made a user namespace, and the runtime, from "
           "outside, wrote /proc/PID/uid_map and gid_map. Inside, the process is uid 0 with "
           "every capability over what the namespace owns; on the host it is the mapped id "
           "(100000) and may do only what that id may. Files of unmapped ids show as 65534.",
    kinds=("userns", "namespace"),
    step_hint="stop after userns: the stopped process's uid and gid lines show the map.",
)
