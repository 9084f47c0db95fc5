"""Layers applied in order: replacements, whiteouts, opaque dirs, hardlinks, symlink tricks."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from bundlebench.errors import BundlebenchError
from bundlebench.image.unpack import unpack_image
from tests.unit.image_helpers import OPQ, D, F, H, S, W, write_oci_layout


def unpack(tmp_path: Path, layers: list[list[tuple]], **image) -> Path:
    write_oci_layout(tmp_path / "img", [{"layers": layers, **image}])
    bundle = tmp_path / "bundle"
    unpack_image(tmp_path / "img", bundle)
    return bundle / "rootfs"


@pytest.mark.parametrize("compression", ["gzip", "zstd", "none"])
def test_layers_apply_in_order(tmp_path: Path, compression: str) -> None:
    rootfs = unpack(tmp_path, [
        [D("etc"), F("etc/a", b"one"), F("etc/b", b"b"), D("usr/bin"), F("usr/bin/tool", b"t")],
        [F("etc/a", b"two"), F("etc/c", b"c")],
        [F("etc/a", b"three", mode=0o600)],
    ], compression=compression)
    assert (rootfs / "etc/a").read_bytes() == b"three"
    assert stat.S_IMODE((rootfs / "etc/a").stat().st_mode) == 0o600
    assert (rootfs / "etc/b").read_bytes() == b"b"
    assert (rootfs / "usr/bin/tool").read_bytes() == b"t"


def test_whiteouts_remove_lower_files_and_dirs(tmp_path: Path) -> None:
    rootfs = unpack(tmp_path, [
        [D("a"), F("a/keep", b"k"), F("a/gone", b"g"), D("a/sub"), F("a/sub/deep", b"d")],
        [W("a/gone"), W("a/sub"), W("a/never-existed")],
    ])
    assert sorted(os.listdir(rootfs / "a")) == ["keep"]


def test_whiteout_does_not_hide_files_of_its_own_layer(tmp_path: Path) -> None:
    rootfs = unpack(tmp_path, [
        [F("x", b"lower")],
        [F("x", b"same layer"), W("x")],
    ])
    assert (rootfs / "x").read_bytes() == b"same layer"


@pytest.mark.parametrize("marker_first", [True, False])
def test_opaque_directory_hides_lower_children_in_any_order(tmp_path: Path,
                                                            marker_first: bool) -> None:
    upper = [D("a"), D("a/b"), D("a/b/c"), F("a/b/c/foo", b"new")]
    upper = [OPQ("a"), *upper] if marker_first else [*upper, OPQ("a")]
    rootfs = unpack(tmp_path, [
        [D("a"), D("a/b"), D("a/b/c"), F("a/b/c/bar", b"old"), F("a/top", b"t"), F("z", b"z")],
        upper,
    ])
    assert sorted(p.name for p in (rootfs / "a").rglob("*")) == ["b", "c", "foo"]
    assert (rootfs / "z").exists()


def test_entries_replace_each_other_across_kinds(tmp_path: Path) -> None:
    rootfs = unpack(tmp_path, [
        [D("d"), F("d/inner", b"i"), F("f", b"file"), S("l", "f")],
        [F("d", b"now a file"), D("f"), F("f/inner", b"now a dir"), F("l", b"no longer a link")],
    ])
    assert (rootfs / "d").read_bytes() == b"now a file"
    assert (rootfs / "f/inner").read_bytes() == b"now a dir"
    assert not (rootfs / "l").is_symlink() and (rootfs / "l").read_bytes() == b"no longer a link"


def test_hardlinks_across_layers(tmp_path: Path) -> None:
    rootfs = unpack(tmp_path, [
        [D("bin"), F("bin/busybox", b"\x7fELF", mode=0o755)],
        [H("bin/sh", "bin/busybox"), H("bin/ls", "./bin/busybox")],
    ])
    inode = (rootfs / "bin/busybox").stat().st_ino
    assert (rootfs / "bin/sh").stat().st_ino == inode == (rootfs / "bin/ls").stat().st_ino


def test_hardlink_to_a_missing_file_fails_and_leaves_nothing(tmp_path: Path) -> None:
    write_oci_layout(tmp_path / "img", [{"layers": [[H("x", "nowhere")]]}])
    with pytest.raises(BundlebenchError, match="nowhere"):
        unpack_image(tmp_path / "img", tmp_path / "bundle")
    assert sorted(os.listdir(tmp_path)) == ["img"]


def test_symlink_of_a_lower_layer_cannot_lead_out(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "sub").mkdir(parents=True)
    rootfs = unpack(tmp_path, [
        [S("up", "../../../../../.."), D("etc"), D(str(outside.relative_to("/")))],
        [S("escape", str(outside)), F("up/tmp/planted", b"y"),
         S("etc/passwd", "/etc/shadow")],
        [F("escape/planted", b"x"), W("escape/sub"), W("up/etc")],
    ])
    assert os.listdir(outside) == ["sub"]
    # absolute and climbing links resolve inside the rootfs: the files land in it
    assert (rootfs / outside.relative_to("/") / "planted").read_bytes() == b"x"
    assert (rootfs / "tmp/planted").read_bytes() == b"y"
    assert not (rootfs / "etc").exists()


def test_member_through_a_dangling_link_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    write_oci_layout(tmp_path / "img", [{"layers": [
        [S("escape", str(outside))], [F("escape/planted", b"x")]]}])
    with pytest.raises(BundlebenchError, match="escape/planted"):
        unpack_image(tmp_path / "img", tmp_path / "bundle")
    assert os.listdir(outside) == []
    assert sorted(os.listdir(tmp_path)) == ["img", "outside"]


def test_usrmerge_link_kept_under_a_directory_entry(tmp_path: Path) -> None:
    rootfs = unpack(tmp_path, [
        [D("usr"), D("usr/lib"), S("lib", "usr/lib")],
        [D("lib"), F("lib/libc.so", b"c")],
    ])
    assert (rootfs / "lib").is_symlink()
    assert (rootfs / "usr/lib/libc.so").read_bytes() == b"c"


def test_absolute_and_climbing_member_names_are_refused(tmp_path: Path) -> None:
    for name in ("../evil", "a/../../evil"):
        write_oci_layout(tmp_path / "img", [{"layers": [[F(name, b"x")]]}])
        with pytest.raises(BundlebenchError, match="unsafe"):
            unpack_image(tmp_path / "img", tmp_path / "bundle")
        assert not (tmp_path / "evil").exists() and not (tmp_path / "bundle").exists()


def test_read_only_directory_applied_last(tmp_path: Path) -> None:
    rootfs = unpack(tmp_path, [
        [D("ro", mode=0o555)],
        [F("ro/later", b"written by a later layer")],
    ])
    assert (rootfs / "ro/later").exists()
    assert stat.S_IMODE((rootfs / "ro").stat().st_mode) == 0o555


@pytest.mark.skipif(os.geteuid() != 0, reason="owners, devices and xattrs need root")
def test_owners_devices_and_xattrs_as_root(tmp_path: Path) -> None:
    import tarfile

    from tests.unit.image_helpers import _info

    device = (_info("dev/null", tarfile.CHRTYPE, 0o666, devmajor=1, devminor=3), b"")
    rootfs = unpack(tmp_path, [
        [D("dev"), device, F("owned", b"x", uid=1000, gid=1001, mode=0o4755),
         F("cap", b"x", xattrs={"user.demo": "hello"})],
    ])
    info = (rootfs / "owned").stat()
    assert (info.st_uid, info.st_gid) == (1000, 1001)
    assert stat.S_IMODE(info.st_mode) == 0o4755
    assert stat.S_ISCHR((rootfs / "dev/null").stat().st_mode)
    try:
        value = os.getxattr(rootfs / "cap", "user.demo")
    except OSError:
        pytest.skip("this filesystem has no user xattrs")
    assert value == b"hello"


def test_plain_user_skips_devices_and_xattrs_and_records_them(tmp_path: Path) -> None:
    import tarfile

    from bundlebench.image.provenance import load_provenance
    from tests.unit.image_helpers import _info

    device = (_info("dev/null", tarfile.CHRTYPE, 0o666, devmajor=1, devminor=3), b"")
    write_oci_layout(tmp_path / "img", [{"layers": [
        [D("dev"), device, F("cap", b"x", xattrs={"security.capability": "\x01"})]]}])
    result = unpack_image(tmp_path / "img", tmp_path / "bundle", as_root=False)
    assert not os.path.lexists(tmp_path / "bundle/rootfs/dev/null")
    assert any("device" in w for w in result.warnings)
    assert any("extended attribute" in w for w in result.warnings)
    prov = load_provenance(tmp_path / "bundle")
    assert prov is not None and prov.owner_of("/dev/null") == (0, 0, 0o666)
    assert prov.status_of("/dev/null") == "added"


def test_directory_mode_does_not_follow_a_later_symlink(tmp_path: Path) -> None:
    rootfs = unpack(tmp_path, [
        [D("d"), D("d/sub", mode=0o700), D("other"), D("other/sub", mode=0o755)],
        [S("d", "other")],
    ])
    assert (rootfs / "d").is_symlink()
    assert stat.S_IMODE((rootfs / "other/sub").stat().st_mode) == 0o755


def test_directory_mode_through_a_symlinked_parent(tmp_path: Path) -> None:
    rootfs = unpack(tmp_path, [
        [D("usr/lib"), S("lib", "usr/lib")],
        [D("lib/private", mode=0o700)],
    ])
    assert stat.S_IMODE((rootfs / "usr/lib/private").stat().st_mode) == 0o700
