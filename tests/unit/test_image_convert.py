"""Image config -> config.json, by the image-spec's conversion rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from bundlebench.bundle.rootfs import Rootfs
from bundlebench.errors import BundlebenchError
from bundlebench.image.convert import VOLUMES_ANNOTATION, convert_config, merge_env
from bundlebench.image.users import resolve_user

PASSWD = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n" \
         "nobody:x:65534:65534::/:/bin/false\n"
GROUP = "root:x:0:\nwheel:x:10:root,app\napp:x:1000:\naudio:x:29:app\nstaff:x:50:\n"


@pytest.fixture
def rootfs(tmp_path: Path) -> Rootfs:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/passwd").write_text(PASSWD)
    (tmp_path / "etc/group").write_text(GROUP)
    with Rootfs(tmp_path) as root:
        yield root


def convert(settings: dict, rootfs: Rootfs, **top) -> dict:
    return convert_config({"config": settings, **top}, rootfs).config


@pytest.mark.parametrize(("spec", "uid", "gid", "extra"), [
    ("", 0, 0, []),
    ("app", 1000, 1000, [10, 29]),
    ("app:staff", 1000, 50, []),
    ("app:7", 1000, 7, []),
    ("1000", 1000, 1000, []),
    ("4242", 4242, 0, []),
    ("4242:4343", 4242, 4343, []),
    ("0:wheel", 0, 10, []),
])
def test_user_resolution(rootfs: Rootfs, spec: str, uid: int, gid: int, extra: list) -> None:
    user = resolve_user(spec, rootfs)
    assert (user.uid, user.gid, user.additional_gids) == (uid, gid, extra)


def test_user_goes_to_process_user(rootfs: Rootfs) -> None:
    assert convert({"User": "app"}, rootfs)["process"]["user"] == {
        "uid": 1000, "gid": 1000, "additionalGids": [10, 29]}
    assert convert({"User": "1000:1000"}, rootfs)["process"]["user"] == {
        "uid": 1000, "gid": 1000}


@pytest.mark.parametrize("spec", ["ghost", "app:ghosts"])
def test_unknown_user_or_group_is_an_error(rootfs: Rootfs, spec: str) -> None:
    with pytest.raises(BundlebenchError, match="ghost.*does not have"):
        convert({"User": spec}, rootfs)


def test_names_come_from_the_rootfs_not_the_host(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/passwd").symlink_to("/etc/passwd")  # resolved inside: absent
    with Rootfs(tmp_path) as root, pytest.raises(BundlebenchError, match="root"):
        resolve_user("root", root)


@pytest.mark.parametrize(("entrypoint", "cmd", "args"), [
    (["/entry"], ["--flag"], ["/entry", "--flag"]),
    (["/entry"], None, ["/entry"]),
    (None, ["sh", "-c", "echo"], ["sh", "-c", "echo"]),
    (None, None, ["sh"]),
    ([], [], ["sh"]),
])
def test_entrypoint_and_cmd(rootfs: Rootfs, entrypoint, cmd, args) -> None:
    result = convert_config({"config": {"Entrypoint": entrypoint, "Cmd": cmd}}, rootfs)
    assert result.config["process"]["args"] == args
    assert bool(result.warnings) == (not entrypoint and not cmd)


def test_env_is_kept_and_defaults_only_fill_in(rootfs: Rootfs) -> None:
    env = convert({"Env": ["PATH=/app/bin", "A=1"]}, rootfs)["process"]["env"]
    assert env == ["PATH=/app/bin", "A=1", "HOME=/root", "TERM=xterm"]
    assert merge_env([], ["PATH=/bin"]) == ["PATH=/bin"]


def test_working_dir(rootfs: Rootfs) -> None:
    assert convert({"WorkingDir": "/srv"}, rootfs)["process"]["cwd"] == "/srv"
    assert convert({"WorkingDir": "rel"}, rootfs)["process"]["cwd"] == "/rel"
    assert convert({}, rootfs)["process"]["cwd"] == "/"


def test_annotations(rootfs: Rootfs) -> None:
    result = convert_config({
        "os": "linux", "architecture": "arm64", "variant": "v8", "author": "me",
        "created": "2024-01-01T00:00:00Z",
        "config": {
            "StopSignal": "SIGQUIT",
            "ExposedPorts": {"80/tcp": {}, "53/udp": {}},
            "Volumes": {"/data": {}, "/logs": {}},
            "Labels": {"org.opencontainers.image.author": "label wins", "x": "y"},
        },
    }, rootfs)
    annotations = result.config["annotations"]
    assert annotations["org.opencontainers.image.os"] == "linux"
    assert annotations["org.opencontainers.image.architecture"] == "arm64"
    assert annotations["org.opencontainers.image.variant"] == "v8"
    assert annotations["org.opencontainers.image.author"] == "label wins"
    assert annotations["org.opencontainers.image.created"] == "2024-01-01T00:00:00Z"
    assert annotations["org.opencontainers.image.stopSignal"] == "SIGQUIT"
    assert annotations["org.opencontainers.image.exposedPorts"] == "80/tcp,53/udp"
    assert annotations[VOLUMES_ANNOTATION] == "/data,/logs"
    assert annotations["x"] == "y"
    assert not any("StopSignal" in w for w in result.warnings)


def test_unknown_stop_signal_is_kept_with_a_warning(rootfs: Rootfs) -> None:
    result = convert_config({"config": {"StopSignal": "SIGNOPE"}}, rootfs)
    assert result.config["annotations"]["org.opencontainers.image.stopSignal"] == "SIGNOPE"
    assert any("SIGNOPE" in w for w in result.warnings)


def test_rootless_base_and_warning(rootfs: Rootfs) -> None:
    result = convert_config({"config": {"User": "app"}}, rootfs, rootless=True)
    assert any(ns["type"] == "user" for ns in result.config["linux"]["namespaces"])
    assert any("rootless" in w for w in result.warnings)


@pytest.mark.parametrize(("field", "value"), [
    ("Env", "A=1"), ("Cmd", [1]), ("User", 5), ("Labels", ["x"]), ("ExposedPorts", ["80"]),
])
def test_malformed_fields_are_named(rootfs: Rootfs, field: str, value) -> None:
    with pytest.raises(BundlebenchError, match=f"config.{field}"):
        convert({field: value}, rootfs)
