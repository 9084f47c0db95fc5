"""`bundlebench unpack` as image users expect: a writable root, HOME, volume mount points."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from bundlebench.bundle.rootfs import Rootfs
from bundlebench.cli import main
from bundlebench.image.convert import VOLUMES_ANNOTATION, convert_config
from bundlebench.image.home import home_directory
from bundlebench.image.users import ID_FILE_LIMIT
from bundlebench.image.volumes import make_mount_points, volume_paths
from bundlebench.spec.validate import validate
from tests.unit.image_helpers import D, F, S, write_oci_layout

PASSWD = ("root:x:0:0:root:/root:/bin/sh\n"
          "app:x:1000:1000::/home/app:/bin/sh\n"
          "svc:x:1001:1001::/srv/svc:/bin/false\n")
GROUP = "root:x:0:\napp:x:1000:\nsvc:x:1001:\n"
BASE = [D("etc"), F("etc/passwd", PASSWD.encode()), F("etc/group", GROUP.encode()),
        D("srv")]


def unpack(tmp_path: Path, config: dict, *flags: str, layers: list | None = None) -> dict:
    image = {"ref": "demo:1", "platform": "linux/amd64", "config": config,
             "layers": layers or [BASE]}
    write_oci_layout(tmp_path / "img", [image])
    assert main(["unpack", *flags, str(tmp_path / "img"), str(tmp_path / "b")]) == 0
    return json.loads((tmp_path / "b/config.json").read_text())


def env_home(config: dict) -> list[str]:
    return [e for e in config["process"]["env"] if e.startswith("HOME=")]


@pytest.fixture
def rootfs(tmp_path: Path) -> Rootfs:
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc/passwd").write_text(PASSWD)
    (root / "etc/group").write_text(GROUP)
    with Rootfs(root) as opened:
        yield opened


# -- root.readonly ------------------------------------------------------------------

def test_the_root_is_writable_by_default(tmp_path: Path) -> None:
    assert unpack(tmp_path, {"Cmd": ["sh"]})["root"] == {"path": "rootfs", "readonly": False}


def test_readonly_flag_keeps_the_old_behaviour(tmp_path: Path) -> None:
    config = unpack(tmp_path, {"Cmd": ["sh"]}, "--readonly")
    assert config["root"]["readonly"] is True


# -- HOME ---------------------------------------------------------------------------

@pytest.mark.parametrize(("user", "home"), [
    ("", "/root"),
    ("0", "/root"),
    ("root", "/root"),
    ("app", "/home/app"),
    ("app:svc", "/home/app"),
    ("1000", "/home/app"),
    ("1001:1000", "/srv/svc"),
    ("4242", "/"),
    ("4242:4242", "/"),
])
def test_home_from_the_rootfs_passwd(rootfs: Rootfs, user: str, home: str) -> None:
    env = convert_config({"config": {"User": user}}, rootfs).config["process"]["env"]
    assert env_home({"process": {"env": env}}) == [f"HOME={home}"]


def test_home_through_the_command(tmp_path: Path) -> None:
    assert env_home(unpack(tmp_path, {"User": "app", "Cmd": ["sh"]})) == ["HOME=/home/app"]


def test_root_without_a_passwd_gets_slash_root(tmp_path: Path) -> None:
    with Rootfs(tmp_path) as root:
        assert home_directory("", 0, root) == "/root"
        assert home_directory("7", 7, root) == "/"


def test_the_image_home_is_kept(rootfs: Rootfs) -> None:
    env = convert_config({"config": {"User": "app", "Env": ["HOME=/data", "A=1"]}},
                         rootfs).config["process"]["env"]
    assert env_home({"process": {"env": env}}) == ["HOME=/data"]
    assert env[:2] == ["HOME=/data", "A=1"]


def _rootfs_with_passwd(tmp_path: Path) -> Path:
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    return root


@pytest.mark.parametrize("use_openat2", [True, False])
@pytest.mark.parametrize("target", ["HOST", "/etc/passwd", "../../../../../../../etc/passwd"])
def test_a_passwd_linked_out_of_the_rootfs_is_never_read(tmp_path: Path, target: str,
                                                         use_openat2: bool) -> None:
    host = tmp_path / "host-passwd"
    host.write_text("app:x:1000:1000::/HOST-HOME:/bin/sh\nroot:x:0:0::/HOST-ROOT:/bin/sh\n")
    root = _rootfs_with_passwd(tmp_path)
    (root / "etc/passwd").symlink_to(str(host) if target == "HOST" else target)
    with Rootfs(root, use_openat2=use_openat2) as opened:
        assert home_directory("1000", 1000, opened) == "/"
        assert home_directory("", 0, opened) == "/root"


def test_a_huge_passwd_is_read_only_up_to_its_limit(tmp_path: Path) -> None:
    root = _rootfs_with_passwd(tmp_path)
    with open(root / "etc/passwd", "wb") as passwd:
        passwd.truncate(1 << 30)  # sparse: a GiB of NULs, then the user
        passwd.seek(0, os.SEEK_END)
        passwd.write(b"\nhidden:x:1000:1000::/home/hidden:/bin/sh\n")
    start = time.monotonic()
    with Rootfs(root) as opened:
        assert home_directory("1000", 1000, opened) == "/"
    assert time.monotonic() - start < 5


def test_a_line_cut_by_the_limit_is_not_trusted(tmp_path: Path) -> None:
    line = b"app:x:1000:1000::/home/app:/bin/sh\n"
    pad = b"#" * (ID_FILE_LIMIT - len(line) + 3) + b"\n"  # the limit cuts the shell
    root = _rootfs_with_passwd(tmp_path)
    (root / "etc/passwd").write_bytes(pad + line)
    with Rootfs(root) as opened:
        assert home_directory("1000", 1000, opened) == "/"


def test_binary_junk_and_malformed_lines_are_skipped(tmp_path: Path) -> None:
    root = _rootfs_with_passwd(tmp_path)
    (root / "etc/passwd").write_bytes(
        os.urandom(4096).replace(b"\n", b"") + b"\n"
        b"bad:x:notanumber:0::/bad:/bin/sh\n"
        b"short:x:1002:0\n"
        b"evil:x:1003:0::/home/\x1b[31m:/bin/sh\n"
        b"rel:x:1004:0::home/rel:/bin/sh\n"
        b"\xff\xfe:x:1005:0::/home/\xff:/bin/sh\n"
        b"#app:x:1000:1000::/commented:/bin/sh\n"
        b"app:x:1000:1000::/home/app:/bin/sh\n"
    )
    with Rootfs(root) as opened:
        assert home_directory("1000", 1000, opened) == "/home/app"
        assert home_directory("app", 1000, opened) == "/home/app"
        assert home_directory("1002", 1002, opened) == "/"
        assert home_directory("1003", 1003, opened) == "/"
        assert home_directory("1004", 1004, opened) == "/"
        assert home_directory("1005", 1005, opened) == "/"


def test_a_passwd_that_is_a_fifo_is_not_opened(tmp_path: Path) -> None:
    root = _rootfs_with_passwd(tmp_path)
    os.mkfifo(root / "etc/passwd")
    with Rootfs(root) as opened:
        assert home_directory("1000", 1000, opened) == "/"  # and it did not block


# -- volumes ------------------------------------------------------------------------

VOLUMES = {"/data": {}, "/var/lib/db/": {}, "//x/./y": {}, "/srv/app": {}}


def test_volume_paths_are_cleaned_and_bad_ones_refused() -> None:
    paths, warnings = volume_paths(["/data", "/data/", "//x/./y", "rel/path", "/a/../b",
                                    "/../etc", "/nul\0", "/", "/ok"])
    assert paths == ["/data", "/x/y", "/ok"]
    assert len(warnings) == 5
    assert all(w.startswith("the image's volume ") and w.endswith("it is not created")
               and "\0" not in w for w in warnings)


def test_volumes_become_directories_inside_the_rootfs(tmp_path: Path, capsys) -> None:
    config = unpack(tmp_path, {"Cmd": ["sh"], "Volumes": VOLUMES})
    rootfs = tmp_path / "b/rootfs"
    for path in ("data", "var/lib/db", "x/y", "srv/app"):
        assert (rootfs / path).is_dir() and not (rootfs / path).is_symlink()
        assert (rootfs / path).stat().st_mode & 0o777 == 0o755
    assert config["annotations"][VOLUMES_ANNOTATION] == "/data,/var/lib/db/,//x/./y,/srv/app"
    assert not any(m["type"] == "tmpfs" and m["destination"] == "/data"
                   for m in config["mounts"])
    assert "warning" not in capsys.readouterr().err


def test_bad_volumes_are_one_warning_each_not_a_crash(tmp_path: Path, capsys) -> None:
    config = unpack(tmp_path, {"Cmd": ["sh"],
                               "Volumes": {"/ok": {}, "/../../escape": {}, "rel": {},
                                           "/nul\u0000x": {}}})
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 3 and "Traceback" not in err
    assert (tmp_path / "b/rootfs/ok").is_dir()
    assert not (tmp_path / "escape").exists() and not (tmp_path / "b/escape").exists()
    assert VOLUMES_ANNOTATION in config["annotations"]


def test_a_volume_under_a_link_out_of_the_rootfs_is_not_made_outside(tmp_path: Path,
                                                                     capsys) -> None:
    outside = tmp_path / "host"
    outside.mkdir()  # there, and writable: the tempting place
    layers = [BASE + [S("out", str(outside)), S("up", "../../../../../../.." + str(outside)),
                      S("data", str(outside)), S("srvlink", "/srv")]]
    unpack(tmp_path, {"Cmd": ["sh"], "Volumes": {"/out/vol": {}, "/up/vol": {},
                                                   "/data": {}, "/srvlink/vol": {}}},
           layers=layers)
    assert os.listdir(outside) == []
    rootfs = tmp_path / "b/rootfs"
    assert (rootfs / "srv/vol").is_dir()  # a link inside the rootfs is followed inside
    assert (rootfs / "out").is_symlink() and (rootfs / "data").is_symlink()
    err = capsys.readouterr().err
    assert err.count("warning:") == 3 and "has no mount point" in err


@pytest.mark.parametrize("use_openat2", [True, False])
def test_mount_points_resolve_inside_with_either_walk(tmp_path: Path, use_openat2: bool) -> None:
    outside = tmp_path / "host"
    outside.mkdir()
    root = tmp_path / "rootfs"
    (root / "inner").mkdir(parents=True)
    (root / "abs").symlink_to(str(outside))
    (root / "rel").symlink_to("../../../../../../../../" + str(outside).lstrip("/"))
    (root / "ok").symlink_to("inner")
    (root / "file").write_text("x")
    with Rootfs(root, use_openat2=use_openat2) as opened:
        warnings = make_mount_points(opened, ["/abs/v", "/rel/v", "/abs", "/file/v",
                                              "/ok/v/w"])
    assert len(warnings) == 4
    assert os.listdir(outside) == []
    assert (root / "inner/v/w").is_dir()


def test_tmpfs_volumes_add_mounts_that_validate(tmp_path: Path) -> None:
    layers = [BASE + [D("bin"), F("bin/sh", b"\x7fELF", mode=0o755)]]
    config = unpack(tmp_path, {"Cmd": ["sh"], "Volumes": VOLUMES}, "--volumes", "tmpfs",
                    layers=layers)
    tmpfs = [m for m in config["mounts"] if m["destination"] in
             ("/data", "/var/lib/db", "/x/y", "/srv/app")]
    assert tmpfs == [{"destination": path, "type": "tmpfs", "source": "tmpfs",
                      "options": ["nosuid", "nodev", "mode=755"]}
                     for path in ("/data", "/var/lib/db", "/x/y", "/srv/app")]
    assert (tmp_path / "b/rootfs/var/lib/db").is_dir()
    assert VOLUMES_ANNOTATION in config["annotations"]
    # As a plain user this host refuses any root config: not the volumes' doing.
    errors = [p for p in validate(config, tmp_path / "b")
              if p.severity == "error" and "on this host" not in p.hint]
    assert errors == []


def test_a_tmpfs_volume_on_an_existing_mount_is_not_doubled(rootfs: Rootfs) -> None:
    result = convert_config({"config": {"Volumes": {"/dev/shm": {}}}}, rootfs,
                            volumes="tmpfs")
    assert [m["destination"] for m in result.config["mounts"]].count("/dev/shm") == 1
    assert any("/dev/shm" in w for w in result.warnings)


def test_an_unknown_volumes_mode_is_refused(tmp_path: Path, capsys) -> None:
    write_oci_layout(tmp_path / "img", [{"config": {}, "layers": [BASE]}])
    with pytest.raises(SystemExit):
        main(["unpack", "--volumes", "nfs", str(tmp_path / "img"), str(tmp_path / "b")])
    assert not (tmp_path / "b").exists()
