"""Provenance: which layer added or changed each path, what was removed, wasted bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bundlebench.image.provenance import load_provenance, provenance_path
from bundlebench.image.unpack import unpack_image
from tests.unit.image_helpers import OPQ, D, F, S, W, write_oci_layout

HISTORY = [
    {"created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
    {"created_by": "/bin/sh -c #(nop)  ENV A=1", "empty_layer": True},
    {"created_by": "/bin/sh -c apk add app", "created": "2024-02-02T00:00:00Z"},
    {"created_by": "/bin/sh -c #(nop)  CMD [\"sh\"]", "empty_layer": True},
    {"created_by": "/bin/sh -c rm -rf /var/cache"},
]


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    write_oci_layout(tmp_path / "img", [{"history": HISTORY, "layers": [
        [D("etc"), F("etc/os-release", b"v1"), F("etc/keep", b"k"), D("var/cache"),
         F("var/cache/big", b"x" * 1000), F("var/cache/small", b"y" * 10), S("lib", "usr/lib"),
         D("usr/lib"), D("opt"), F("opt/old", b"o" * 100)],
        [F("etc/os-release", b"v2-longer"), F("app/bin", b"app" * 10), F("lib/libapp.so", b"L"),
         D("etc", mode=0o700)],
        [W("var/cache"), OPQ("opt"), F("opt/new", b"n"), W("app/bin")],
    ]}])
    unpack_image(tmp_path / "img", tmp_path / "bundle", as_root=False)
    return tmp_path / "bundle"


def test_statuses_and_layers(bundle: Path) -> None:
    prov = load_provenance(bundle)
    assert prov is not None
    assert (prov.layer_of("/etc/keep"), prov.status_of("/etc/keep")) == (0, "added")
    assert (prov.layer_of("/etc/os-release"), prov.status_of("etc/os-release")) == (1, "changed")
    assert (prov.layer_of("/etc"), prov.status_of("/etc")) == (1, "changed")  # mode changed
    assert (prov.layer_of("/usr/lib/libapp.so"), prov.status_of("/usr/lib/libapp.so")) == (
        1, "added")  # written through the lib -> usr/lib link: recorded where it landed
    assert (prov.layer_of("/opt/new"), prov.status_of("/opt/new")) == (2, "added")
    assert prov.status_of("/var/cache/big") == "removed"
    assert prov.removed_info("/var/cache/big") == (2, 0, 1000)
    assert prov.removed_info("/opt/old") == (2, 0, 100)
    assert prov.status_of("/app/bin") == "removed" and prov.layer_of("/app/bin") == 2
    assert prov.status_of("/app") == "added"
    assert prov.status_of("/nowhere") is None and prov.layer_of("/nowhere") is None
    assert prov.paths(layer=2, status="removed") == [
        "/app/bin", "/opt/old", "/var/cache", "/var/cache/big", "/var/cache/small"]
    assert "/etc/os-release" in prov.paths(status="changed")


def test_layer_summaries_and_wasted_bytes(bundle: Path) -> None:
    prov = load_provenance(bundle)
    assert prov is not None
    commands = [layer.command for layer in prov.layers]
    assert commands == ["ADD file:abc in /", "/bin/sh -c apk add app",
                        "/bin/sh -c rm -rf /var/cache"]
    assert prov.layers[1].created == "2024-02-02T00:00:00Z"
    # layer 0 lost os-release (2), big (1000), small (10) and opt/old (100)
    assert prov.layers[0].wasted == 2 + 1000 + 10 + 100
    assert prov.layers[1].wasted == 30  # app/bin
    assert prov.layers[2].wasted == 0
    assert prov.wasted_bytes == 1142
    assert prov.layers[0].files == 5 and prov.layers[0].unpacked == 1000 + 10 + 100 + 2 + 1
    assert all(layer.size > 0 and layer.digest for layer in prov.layers)


def test_index_is_compact_and_matches_the_rootfs(bundle: Path) -> None:
    data = provenance_path(bundle).read_bytes()
    assert b"\n" not in data and b", " not in data
    paths = json.loads(data)["paths"]
    rootfs = bundle / "rootfs"
    on_disk = {"/" + str(p.relative_to(rootfs)) for p in rootfs.rglob("*")}
    assert on_disk == set(paths)


def test_history_that_does_not_line_up_leaves_commands_out(tmp_path: Path) -> None:
    write_oci_layout(tmp_path / "img", [{"history": [{"created_by": "only one"}],
                                         "layers": [[F("a")], [F("b")]]}])
    unpack_image(tmp_path / "img", tmp_path / "bundle")
    prov = load_provenance(tmp_path / "bundle")
    assert prov is not None and [layer.command for layer in prov.layers] == [None, None]


def test_owners_recorded_for_a_plain_user(tmp_path: Path) -> None:
    write_oci_layout(tmp_path / "img", [{"layers": [
        [F("su", b"x", mode=0o4755), F("mine", b"x", uid=1000, gid=1000), F("plain", b"x")]]}])
    unpack_image(tmp_path / "img", tmp_path / "bundle", as_root=False)
    prov = load_provenance(tmp_path / "bundle")
    assert prov is not None
    assert prov.owner_of("/su") == (0, 0, 0o4755)
    assert prov.owner_of("/mine") == (1000, 1000, 0o644)
    assert prov.owner_of("/plain") is None


def test_missing_or_broken_provenance_is_none(tmp_path: Path) -> None:
    assert load_provenance(tmp_path) is None
    provenance_path(tmp_path).parent.mkdir()
    provenance_path(tmp_path).write_text("{not json")
    assert load_provenance(tmp_path) is None


def test_visible_paths_and_marks(bundle: Path) -> None:
    prov = load_provenance(bundle)
    assert prov is not None
    assert prov.visible_paths() is None
    assert prov.visible_paths(layer=2, status="added") == {"/", "/opt", "/opt/new"}
    removed = prov.visible_paths(status="removed")
    assert removed is not None and {"/var", "/var/cache", "/app"} <= removed
    assert prov.mark_of("/etc/keep") == "L1+" and prov.mark_of("/etc/os-release") == "L2~"
    assert prov.mark_of("/nowhere") == ""


def test_a_file_replaced_by_a_directory_is_a_change(tmp_path: Path) -> None:
    write_oci_layout(tmp_path / "img", [{"layers": [
        [F("thing", b"x" * 10)], [D("thing"), F("thing/inside", b"i")]]}])
    unpack_image(tmp_path / "img", tmp_path / "bundle")
    prov = load_provenance(tmp_path / "bundle")
    assert prov is not None
    assert (prov.layer_of("/thing"), prov.status_of("/thing")) == (1, "changed")
    assert prov.layers[0].wasted == 10
