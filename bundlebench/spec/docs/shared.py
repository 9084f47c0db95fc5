"""Documentation for structures that appear at more than one place."""

from __future__ import annotations

from bundlebench.spec.docs.model import FieldDoc, doc


def id_mapping_docs(prefix: str, kind: str, section: str, *, mount: bool) -> list[FieldDoc]:
    """Docs for an array of ID mappings (uid or gid) under ``prefix``."""
    ids = "user IDs" if kind == "uid" else "group IDs"
    name = "UID" if kind == "uid" else "GID"
    where = (
        "the files seen through this one mount"
        if mount
        else "the container's user namespace"
    )
    effect = (
        "The runtime builds a detached user namespace with these ranges and attaches it to "
        "the mount with mount_setattr(MOUNT_ATTR_IDMAP), so file owners read and written "
        "through the mount are translated (Linux 5.12 or later)."
        if mount
        else f"The runtime writes one line per entry to /proc/PID/{kind}_map of the new "
        "user namespace; the kernel accepts the map once and refuses overlapping ranges."
    )
    return [
        doc(
            prefix,
            f"{name} mappings",
            f"Ranges of {ids} that translate between {where} and the host.",
            effect,
            [{"containerID": 0, "hostID": 100000, "size": 65536}],
            section,
        ),
        doc(
            f"{prefix}/*",
            f"{name} mapping range",
            f"One contiguous range: the {ids} from containerID on, size of them, map onto "
            "as many starting at hostID.",
            f"Becomes one line \"containerID hostID size\" of the {kind}_map the kernel reads.",
            {"containerID": 0, "hostID": 100000, "size": 65536},
            section,
        ),
        doc(
            f"{prefix}/*/containerID",
            "First ID inside",
            f"The first of the {ids} in the range, as seen from inside.",
            "The kernel translates this ID and the next size-1 ones to the host range.",
            0,
            section,
        ),
        doc(
            f"{prefix}/*/hostID",
            "First ID on the host",
            f"The first of the host {ids} the range maps onto.",
            "An unprivileged runtime may map only its own ID, or the ranges /etc/sub"
            f"{kind} delegates to it through new{kind}map; anything else makes the write "
            f"to {kind}_map fail.",
            100000,
            section,
        ),
        doc(
            f"{prefix}/*/size",
            "Range length",
            "How many consecutive IDs the range covers.",
            "A size of zero is refused by the kernel; IDs outside every range show up as the "
            "overflow ID (usually 65534, 'nobody').",
            65536,
            section,
        ),
    ]
