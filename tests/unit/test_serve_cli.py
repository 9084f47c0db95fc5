"""`bundlebench serve` before it serves: bundle, port and host are checked in a sentence."""

from __future__ import annotations

import shlex
import socket
from pathlib import Path

import pytest

from bundlebench.cli import main
from bundlebench.commands.serve import session_command

textual_serve = pytest.importorskip("textual_serve")


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    (tmp_path / "b b" / "rootfs").mkdir(parents=True)
    (tmp_path / "b b" / "config.json").write_text('{"ociVersion": "1.3.0"}')
    return tmp_path / "b b"


@pytest.fixture
def no_serving(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from bundlebench.serve import server

    served: list[str] = []
    monkeypatch.setattr(server.GuardedServer, "serve_on",
                        lambda self, sock: served.append(self.command))
    return served


def test_a_port_in_use_is_one_sentence(bundle: Path, capsys, no_serving) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", str(bundle), "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"port {port} on 127.0.0.1 is already in use" in err and "--port 0" in err
    assert "Traceback" not in err and err.count("\n") == 1
    assert not no_serving


def test_a_missing_bundle_exits_2_before_serving(tmp_path: Path, capsys, no_serving) -> None:
    assert main(["serve", str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err
    assert not no_serving


def test_a_broken_bundle_is_still_served_for_repair(tmp_path: Path, capsys,
                                                     no_serving) -> None:
    (tmp_path / "config.json").write_text("{not json")
    assert main(["serve", str(tmp_path)]) == 0
    assert len(no_serving) == 1


def test_loopback_prints_only_the_link_and_how_to_stop(bundle: Path, capsys,
                                                       no_serving) -> None:
    assert main(["serve", str(bundle), "--read-only"]) == 0
    captured = capsys.readouterr()
    link, stop = captured.out.splitlines()
    assert link.startswith("http://127.0.0.1:") and "/?token=" in link
    assert not link.endswith(":0/") and "Ctrl+C" in stop
    assert captured.err == ""
    assert shlex.split(no_serving[0])[-3:] == ["--read-only", "--", str(bundle)]


def test_a_network_host_is_warned_about(bundle: Path, capsys, no_serving) -> None:
    assert main(["serve", str(bundle), "--host", "0.0.0.0"]) == 0
    err = capsys.readouterr().err
    assert "anyone on that network who has the link with its token" in err


def test_each_token_is_new(bundle: Path, capsys, no_serving) -> None:
    links = set()
    for _ in range(2):
        main(["serve", str(bundle)])
        links.add(capsys.readouterr().out.split("token=")[1].split()[0])
    assert len(links) == 2


def test_the_session_command_quotes_the_bundle() -> None:
    words = shlex.split(session_command(Path("/tmp/a b;rm -rf x"), read_only=False))
    assert words[0] == "exec" and words[-2:] == ["--", "/tmp/a b;rm -rf x"]
    assert "--read-only" not in words


def test_help_says_what_it_does(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    assert "--read-only" in out and "token" in out and "127.0.0.1" in out
