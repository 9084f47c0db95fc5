"""The one bounded JSON reader: size, UTF-8, syntax and depth each get a sentence, the
depth one with the pointer of where it goes too deep, found the same way whether the
parser could descend (a walk of the value) or not (a scan of the text)."""

from __future__ import annotations

import json
import os
import random
import threading

import pytest

from runtime.jsonread import (
    MAX_DEPTH,
    JSONInputError,
    pointer_in_text,
    read_json,
    read_json_file,
    too_deep,
)


def nested(levels: int, key: str = "k") -> str:
    """``levels`` arrays and objects, alternating, around a 1."""
    text = "1"
    for level in range(levels):
        text = f'{{"{key}{level}": {text}}}' if level % 2 else f"[0, {text}]"
    return text


def test_exactly_the_limit_reads_and_one_more_level_is_refused() -> None:
    assert read_json(nested(MAX_DEPTH), "doc") is not None
    with pytest.raises(JSONInputError, match=f"doc nests deeper than {MAX_DEPTH} levels at /"):
        read_json(nested(MAX_DEPTH + 1), "doc")


def test_the_pointer_names_keys_and_indexes_and_is_cut_after_a_few() -> None:
    text = '{"a/b": [{"x": 0}, {"c~d": ' + "[" * 70 + "]" * 70 + "}]}"
    with pytest.raises(JSONInputError) as caught:
        read_json(text, "config.json")
    assert caught.value.pointer == "/a~1b/1/c~0d/0/0/0/…"
    assert str(caught.value).startswith(
        "config.json nests deeper than 64 levels at /a~1b/1/c~0d/0/0/0/…: ")


def test_a_document_too_deep_for_the_parser_is_reported_like_one_it_could_parse() -> None:
    shallow = '{"ann": {"x": [' + "[" * 70 + "]" * 70 + "]}}"
    deep = '{"ann": {"x": [' + "[" * 50_000 + "]" * 50_000 + "]}}"
    messages = []
    for text in (shallow, deep):
        with pytest.raises(JSONInputError) as caught:
            read_json(text, "config.json")
        messages.append(str(caught.value))
    assert messages[0] == messages[1]


def test_a_truncated_deep_document_is_one_sentence_too() -> None:
    with pytest.raises(JSONInputError, match="at /0/0/0/0/0/0/…"):
        read_json("[" * 100_000, "config.json")


def test_the_text_scan_agrees_with_the_walk_on_random_documents() -> None:
    chooser = random.Random(1234)

    def build(depth: int) -> object:
        if depth == 0 or chooser.random() < 0.15:
            return chooser.choice([1, "s,]}\\\"[{", None, True])
        if chooser.random() < 0.5:
            return [build(depth - 1) for _ in range(chooser.randint(0, 3))]
        return {chooser.choice(["a", "b,c", "}{", "q\"", "/~"]) + str(i): build(depth - 1)
                for i in range(chooser.randint(0, 3))}

    found = 0
    for _ in range(300):
        value = build(chooser.randint(1, 12))
        text = json.dumps(value)
        expected = too_deep(value, 4)
        assert pointer_in_text(text, 4) == expected, text
        found += expected is not None
    assert found > 30  # the sample does go too deep, often


def test_size_utf8_and_syntax_each_say_what_and_where() -> None:
    with pytest.raises(JSONInputError, match=r"doc is 2\.0 KiB, larger than the 1\.0 KiB"):
        read_json(b"[" + b"1," * 1024 + b"1]", "doc", max_bytes=1024)
    with pytest.raises(JSONInputError, match="not UTF-8 text .*line 2, column 4") as caught:
        read_json(b'{\n  "\xff": 1}', "doc")
    assert (caught.value.line, caught.value.column) == (2, 4)
    with pytest.raises(JSONInputError, match="not valid JSON: .* at line 1, column 7"):
        read_json('{"a": }', "doc")


def test_a_fifo_or_a_device_is_refused_without_blocking(tmp_path) -> None:
    fifo = tmp_path / "config.json"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            read_json_file(str(fifo))
        except BaseException as error:  # noqa: BLE001 - handed to the test
            outcome.append(error)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(5)
    assert not reader.is_alive(), "reading a fifo blocked"
    assert isinstance(outcome[0], JSONInputError) and "not a regular file" in str(outcome[0])
    with pytest.raises(JSONInputError, match="/dev/null is not a regular file"):
        read_json_file("/dev/null")


def test_a_file_is_read_whole_up_to_the_limit(tmp_path) -> None:
    path = tmp_path / "big.json"
    path.write_text(json.dumps(["x" * 1000] * 3000))  # 3 MB: several reads
    assert len(read_json_file(str(path))) == 3000
    with pytest.raises(JSONInputError, match="larger than"):
        read_json_file(str(path), max_bytes=1 << 20)


@pytest.mark.parametrize(("text", "said"), [
    ('{"id": "c", "bundle": "/b", "rootfs": "/r", "pid": "12"}',
     "state.json's pid must be an integer"),
    ('{"id": "c", "bundle": ["/b"], "rootfs": "/r"}', "state.json's bundle must be a string"),
    ('{"id": "c", "rootfs": "/r"}', "state.json has no bundle"),
    ('[1, 2]', "state.json must hold an object"),
    ('{"id": "c", "bundle": "/b", "rootfs": "/r", "config": ' + "[" * 90 + "]" * 90 + "}",
     "it nests deeper than 64 levels at /config/0/0/0/0/0/…"),
    ("{\"id\": ", "it is not valid JSON: Expecting value at line 1, column 8"),
])
def test_a_broken_state_json_is_named_corrupt_with_why(tmp_path, text: str, said: str) -> None:
    from runtime.errors import RuntimeFailure
    from runtime.state import STATE_FILE, StateStore

    store = StateStore(str(tmp_path))
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / STATE_FILE).write_text(text)
    with pytest.raises(RuntimeFailure) as caught:
        store.load("c")
    assert str(caught.value) == (f"state of container 'c' is corrupt ({said}): delete it "
                                 "with `delete -f c`")


def test_the_shims_frames_are_objects_or_nothing() -> None:
    from shim.protocol import _hello, exit_record

    assert exit_record(b'{"exit_code": 3}') == {"exit_code": 3}
    for payload in (b"[1]", b"\xff", b"[" * 5000, b"{"):
        assert exit_record(payload) == {}
        with pytest.raises(ValueError):
            _hello(payload)
