"""Mounts in words, on mountinfo recorded from a real container of the demo bundle (a bind
of /tmp/share on /mnt, masked and read-only paths) and from the host that ran it."""

from __future__ import annotations

import pytest

from bundlebench.containers import mount_labels
from bundlebench.containers.mount_labels import MASK_NULL, MASK_TMPFS, describe
from runtime.linux import mountinfo

HOST = """\
22 27 0:21 / /proc rw,relatime - proc proc rw
23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=12334824k,mode=755
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
90 27 0:50 / /srv/data rw,relatime - tmpfs tmpfs rw
"""
CONTAINER = """\
67 45 254:0 /tmp/bb/demo/rootfs / ro,relatime - ext4 /dev/vda rw,discard
68 67 0:41 / /proc rw,relatime - proc proc rw
69 67 0:42 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
70 69 0:43 / /dev/pts rw,nosuid,noexec,relatime - devpts devpts rw,gid=5,mode=620
73 67 0:45 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro
74 73 0:46 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - tmpfs tmpfs ro,mode=755
82 74 0:36 /bundlebench/c1 /sys/fs/cgroup/pids ro,nosuid,relatime - cgroup cgroup rw,pids
84 67 254:0 /tmp/share /mnt rw,relatime - ext4 /dev/vda rw,discard
85 67 0:50 / /data rw,relatime - tmpfs tmpfs rw
86 67 254:0 /tmp/with\\040space /opt ro,relatime - ext4 /dev/vda rw
49 68 0:41 /sys /proc/sys ro,relatime - proc proc rw
50 68 0:47 / /proc/acpi ro,relatime - tmpfs tmpfs ro
51 68 0:42 /null /proc/keys rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
52 68 0:6 /null /proc/kcore rw,nosuid - devtmpfs devtmpfs rw,mode=755
53 73 0:48 / /sys/firmware ro,relatime - tmpfs tmpfs ro
"""


@pytest.fixture(scope="module")
def views() -> dict[str, mount_labels.MountView]:
    rows = describe(mountinfo.parse(CONTAINER), mountinfo.parse(HOST))
    assert [v.target for v in rows] == [m.target for m in mountinfo.parse(CONTAINER)]
    return {view.target: view for view in rows}


def test_a_bind_names_the_host_path_it_comes_from(views) -> None:
    mnt = views["/mnt"]
    assert mnt.kind == "bind" and mnt.origin == "/tmp/share" and not mnt.readonly
    assert mnt.label == "bind of /tmp/share (ext4 /dev/vda)"
    assert views["/opt"].label == "bind of /tmp/with space (ext4 /dev/vda), read-only"


def test_the_rootfs_bind_and_the_cgroup_bind(views) -> None:
    assert views["/"].label == "bind of /tmp/bb/demo/rootfs (ext4 /dev/vda), read-only"
    pids = views["/sys/fs/cgroup/pids"]
    assert pids.origin == "/sys/fs/cgroup/pids/bundlebench/c1" and pids.readonly


def test_a_bind_of_a_whole_host_mount_is_seen_by_its_device(views) -> None:
    assert views["/data"].kind == "bind" and views["/data"].origin == "/srv/data"


def test_masked_files_are_dev_null_binds(views) -> None:
    for target in ("/proc/keys", "/proc/kcore"):  # the container's /dev/null, the host's
        assert views[target].kind == "masked" and views[target].label == MASK_NULL, target
        assert views[target].origin == "/dev/null"


def test_masked_dirs_are_empty_read_only_tmpfs(views) -> None:
    for target in ("/proc/acpi", "/sys/firmware"):
        assert views[target].label == MASK_TMPFS, target
    # A read-only tmpfs that holds mounts (the cgroup v1 dir) masks nothing.
    assert views["/sys/fs/cgroup"].kind == "filesystem"
    assert views["/sys/fs/cgroup"].label == "tmpfs, read-only"


def test_read_only_path_is_bound_onto_itself(views) -> None:
    sys = views["/proc/sys"]
    assert sys.kind == "self-bind" and sys.readonly and sys.origin == "/proc/sys"
    assert sys.label == "read-only: bound onto itself and remounted read-only"


def test_fresh_filesystems_say_their_type(views) -> None:
    assert views["/proc"].label == "proc" and not views["/proc"].readonly
    assert views["/sys"].label == "sysfs, read-only"
    assert views["/dev"].label == "tmpfs" and views["/dev/pts"].label == "devpts"


def test_overlay_counts_its_layers() -> None:
    text = ("600 500 0:55 / / ro,relatime - overlay overlay "
            "rw,lowerdir=/l1:/l2,upperdir=/u,workdir=/w\n")
    (view,) = describe(mountinfo.parse(text), [])
    assert view.kind == "overlay"
    assert view.label == "overlay of 2 lower layers and an upper one, read-only"


def test_a_bind_inside_the_container_and_an_unknown_one() -> None:
    text = ("1 0 0:42 / /dev rw - tmpfs tmpfs rw\n"
            "2 1 0:42 /shm-src /run/x rw - tmpfs tmpfs rw\n"
            "3 1 0:99 /gone /old rw - ext4 /dev/sdz rw\n")
    views = describe(mountinfo.parse(text), [])
    assert views[1].label == "bind of /dev/shm-src inside the container (tmpfs)"
    assert views[2].label == "bind of /gone on ext4 /dev/sdz"


def test_a_shared_mount_namespace_is_not_all_binds() -> None:
    views = describe(mountinfo.parse(HOST), None)
    assert {v.kind for v in views} == {"filesystem"}


def test_a_file_named_null_elsewhere_is_no_mask() -> None:
    text = "1 0 254:0 /home/u/null /x rw - ext4 /dev/vda rw\n"
    (view,) = describe(mountinfo.parse(text), mountinfo.parse(HOST))
    assert view.kind == "bind" and view.origin == "/home/u/null"
