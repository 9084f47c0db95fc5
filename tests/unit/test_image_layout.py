"""Finding and verifying images: refs, nested indexes, platforms, damaged blobs, archives."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from bundlebench.errors import BundlebenchError
from bundlebench.image.blobs import parse_digest
from bundlebench.image.model import Platform, host_platform
from bundlebench.image.open import open_image
from bundlebench.image.select import select_image
from bundlebench.image.unpack import unpack_image
from tests.unit.image_helpers import (
    F,
    tar_directory,
    write_docker_archive,
    write_oci_layout,
)


def one(text: bytes, **image) -> dict:
    return {"layers": [[F("id", text)]], **image}


def chosen(path: Path, ref: str | None = None, platform: str | None = None) -> bytes:
    bundle = path.parent / "bundle"
    unpack_image(path, bundle, ref=ref, platform=platform, force=True)
    return (bundle / "rootfs/id").read_bytes()


def test_ref_selection(tmp_path: Path) -> None:
    write_oci_layout(tmp_path / "img", [one(b"a", ref="alpha"), one(b"b", ref="beta")])
    assert chosen(tmp_path / "img", ref="beta") == b"b"
    assert chosen(tmp_path / "img", ref="alpha") == b"a"
    with pytest.raises(BundlebenchError, match="several images.*--ref"):
        chosen(tmp_path / "img")
    with pytest.raises(BundlebenchError, match="no image named 'gamma'.*alpha, beta"):
        chosen(tmp_path / "img", ref="gamma")


def test_nested_index_and_platform_selection(tmp_path: Path) -> None:
    host = str(host_platform())
    other = "linux/s390x" if host != "linux/s390x" else "linux/amd64"
    attestation = one(b"attestation", platform="unknown/unknown",
                      annotations={"vnd.docker.reference.type": "attestation-manifest"})
    write_oci_layout(tmp_path / "img", [{"ref": "multi", "index": [
        one(b"other", platform=other),
        {"index": [one(b"arm7", platform="linux/arm/v7"), attestation,
                   one(b"host", platform=host)]},
    ]}])
    assert chosen(tmp_path / "img") == b"host"
    assert chosen(tmp_path / "img", ref="multi", platform=other) == b"other"
    assert chosen(tmp_path / "img", platform="linux/arm/v7") == b"arm7"
    with pytest.raises(BundlebenchError, match="no image for linux/mips64.*--platform"):
        chosen(tmp_path / "img", platform="linux/mips64")
    with pytest.raises(BundlebenchError, match="os/arch"):
        chosen(tmp_path / "img", platform="amd64")


def test_single_foreign_platform_image_is_taken_unless_asked_otherwise(tmp_path: Path) -> None:
    write_oci_layout(tmp_path / "img", [one(b"x", platform="linux/riscv64")])
    assert chosen(tmp_path / "img") == b"x"
    with pytest.raises(BundlebenchError, match="riscv64"):
        chosen(tmp_path / "img", platform="linux/ppc64le")


def test_platform_matching() -> None:
    assert Platform("linux", "arm64").matches(Platform.parse("linux/arm64/v8"))
    assert Platform("linux", "arm", "v7").matches(Platform.parse("linux/arm"))
    assert not Platform("linux", "arm", "v6").matches(Platform.parse("linux/arm/v7"))


def blob_file(root: Path, digest: str) -> Path:
    return root / "blobs" / "sha256" / digest.split(":")[1]


def assert_nothing_left(tmp_path: Path) -> None:
    assert sorted(os.listdir(tmp_path)) == ["img"]


def test_layer_digest_mismatch_names_the_blob(tmp_path: Path) -> None:
    writer = write_oci_layout(tmp_path / "img", [one(b"x", compression="none")])
    layer = writer.layer_descriptors[0]
    path = blob_file(tmp_path / "img", layer["digest"])
    data = bytearray(path.read_bytes())
    data[600] ^= 1  # same size, different bytes (inside the file's content)
    path.write_bytes(bytes(data))
    with pytest.raises(BundlebenchError, match=f"{layer['digest']}.*does not match"):
        unpack_image(tmp_path / "img", tmp_path / "bundle")
    assert_nothing_left(tmp_path)


def test_size_mismatch_and_missing_blob(tmp_path: Path) -> None:
    writer = write_oci_layout(tmp_path / "img", [one(b"x")])
    path = blob_file(tmp_path / "img", writer.layer_descriptors[0]["digest"])
    path.write_bytes(path.read_bytes() + b"junk")
    with pytest.raises(BundlebenchError, match="bytes where its descriptor says"):
        unpack_image(tmp_path / "img", tmp_path / "bundle")
    path.unlink()
    with pytest.raises(BundlebenchError, match="missing"):
        unpack_image(tmp_path / "img", tmp_path / "bundle")
    assert_nothing_left(tmp_path)


def test_tampered_manifest_is_refused_before_use(tmp_path: Path) -> None:
    write_oci_layout(tmp_path / "img", [one(b"x")])
    index = json.loads((tmp_path / "img/index.json").read_text())
    digest = index["manifests"][0]["digest"]
    path = blob_file(tmp_path / "img", digest)
    path.write_bytes(path.read_bytes().replace(b'"schemaVersion": 2', b'"schemaVersion": 3'))
    with pytest.raises(BundlebenchError, match=f"manifest {digest}.*does not match"):
        unpack_image(tmp_path / "img", tmp_path / "bundle")
    assert_nothing_left(tmp_path)


def test_truncated_layer_with_matching_descriptor(tmp_path: Path) -> None:
    import gzip

    from tests.unit.image_helpers import LayoutWriter, tar_bytes

    big = os.urandom(200_000)
    writer = write_oci_layout(tmp_path / "img", [one(big)])
    # rewrite the layer as a cut gzip stream, with a descriptor that matches the cut bytes
    cut = gzip.compress(tar_bytes([F("id", big)]))[:50_000]
    old = writer.layer_descriptors[0]
    new = LayoutWriter(tmp_path / "img").blob(cut, old["mediaType"])
    for path in (tmp_path / "img/blobs/sha256").iterdir():
        text = path.read_bytes()
        if old["digest"].encode() in text:
            changed = text.replace(old["digest"].encode(), new["digest"].encode()).replace(
                f'"size": {old["size"]}'.encode(), f'"size": {new["size"]}'.encode())
            path.unlink()
            LayoutWriter(tmp_path / "img").blob(changed, "x")
            index = (tmp_path / "img/index.json").read_text()
            old_manifest = "sha256:" + path.name
            new_manifest = "sha256:" + hashlib.sha256(changed).hexdigest()
            (tmp_path / "img/index.json").write_text(
                index.replace(old_manifest, new_manifest).replace(
                    f'"size": {len(text)}', f'"size": {len(changed)}'))
    with pytest.raises(BundlebenchError, match="truncated or corrupt"):
        unpack_image(tmp_path / "img", tmp_path / "bundle")
    assert_nothing_left(tmp_path)


def test_sha512_digests_are_verified(tmp_path: Path) -> None:
    root = tmp_path / "img"
    write_oci_layout(root, [one(b"x")])
    index = json.loads((root / "index.json").read_text())
    manifest_file = blob_file(root, index["manifests"][0]["digest"])
    data = manifest_file.read_bytes()
    digest = "sha512:" + hashlib.sha512(data).hexdigest()
    (root / "blobs/sha512").mkdir()
    (root / "blobs/sha512" / digest.split(":")[1]).write_bytes(data)
    index["manifests"][0]["digest"] = digest
    (root / "index.json").write_text(json.dumps(index))
    assert chosen(root) == b"x"
    (root / "blobs/sha512" / digest.split(":")[1]).write_bytes(data + b" ")
    index["manifests"][0]["size"] += 1
    (root / "index.json").write_text(json.dumps(index))
    with pytest.raises(BundlebenchError, match="sha512.*does not match"):
        chosen(root)


def test_bad_digests_are_refused() -> None:
    assert parse_digest("sha256:" + "a" * 64, "x") == ("sha256", "a" * 64)
    for bad in ("sha256:abc", "md5:" + "a" * 32, "sha256:" + "A" * 64, None, "nocolon"):
        with pytest.raises(BundlebenchError):
            parse_digest(bad, "blob")


def test_layout_as_tar(tmp_path: Path) -> None:
    write_oci_layout(tmp_path / "dir", [one(b"from tar", ref="t")])
    archive = tar_directory(tmp_path / "dir", tmp_path / "img")
    assert chosen(archive) == b"from tar"


def test_docker_archive(tmp_path: Path) -> None:
    archive = write_docker_archive(tmp_path / "img", [
        {"layers": [[F("id", b"one"), F("etc/x", b"x")], [F("id", b"two")]], "ref": "demo:1"},
        {"layers": [[F("id", b"other")]], "ref": "other:2"},
    ])
    assert chosen(archive, ref="demo:1") == b"two"
    assert chosen(archive, ref="other:2") == b"other"
    image = open_image(archive)
    try:
        record = select_image(image, "demo:1")
        assert record.platform == Platform("linux", "amd64")
        assert [layer.diff_id is not None for layer in record.layers] == [True, True]
    finally:
        image.source.close()


def test_docker_archive_layer_checked_against_diff_id(tmp_path: Path) -> None:
    import tarfile

    from tests.unit.image_helpers import tar_bytes

    archive = write_docker_archive(tmp_path / "good.tar", [
        {"layers": [[F("id", b"one")]], "ref": "demo:1"}])
    with tarfile.open(archive) as source, tarfile.open(tmp_path / "img", "w") as target:
        for member in source:
            data = source.extractfile(member).read()
            if member.name.endswith("layer.tar"):
                data = tar_bytes([F("id", b"evil")])
                member.size = len(data)
            import io

            target.addfile(member, io.BytesIO(data))
    (tmp_path / "good.tar").unlink()
    with pytest.raises(BundlebenchError, match="uncompressed layer 1.*does not match"):
        unpack_image(tmp_path / "img", tmp_path / "bundle")
    assert_nothing_left(tmp_path)


def test_not_an_image(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    with pytest.raises(BundlebenchError, match="neither an OCI image layout"):
        unpack_image(tmp_path / "img", tmp_path / "bundle")
    (tmp_path / "img.tar").write_bytes(b"not a tar at all" * 100)
    with pytest.raises(BundlebenchError, match="not a readable tar"):
        unpack_image(tmp_path / "img.tar", tmp_path / "bundle")
    with pytest.raises(BundlebenchError, match="does not exist"):
        unpack_image(tmp_path / "missing", tmp_path / "bundle")


def test_images_lists_every_platform_of_a_nested_index(tmp_path: Path) -> None:
    from bundlebench.image.inspect import describe_image

    write_oci_layout(tmp_path / "img", [{"ref": "multi", "index": [
        one(b"a", platform="linux/amd64"),
        {"index": [one(b"b", platform="linux/arm64/v8")]},
    ]}])
    described = describe_image(tmp_path / "img")
    assert [(i["refs"], i["platform"]) for i in described["images"]] == [
        (["multi"], "linux/amd64"), (["multi"], "linux/arm64/v8")]


def test_a_manifest_that_is_not_a_container_image(tmp_path: Path) -> None:
    root = tmp_path / "img"
    write_oci_layout(root, [one(b"x")])
    index = json.loads((root / "index.json").read_text())
    manifest_file = blob_file(root, index["manifests"][0]["digest"])
    manifest = json.loads(manifest_file.read_text())
    manifest["config"]["mediaType"] = "application/vnd.cncf.helm.config.v1+json"
    data = json.dumps(manifest).encode()
    new = "sha256:" + hashlib.sha256(data).hexdigest()
    (root / "blobs/sha256" / new.split(":")[1]).write_bytes(data)
    index["manifests"][0].update(digest=new, size=len(data))
    (root / "index.json").write_text(json.dumps(index))
    with pytest.raises(BundlebenchError, match="not a container image"):
        chosen(root)


def test_docker_archive_with_a_shared_layer_stored_as_a_symlink(tmp_path: Path) -> None:
    import io
    import tarfile

    from tests.unit.image_helpers import image_config, sha256, tar_bytes

    layer = tar_bytes([F("id", b"shared")])
    config = json.dumps(image_config({}, [sha256(layer)])).encode()
    config_name = sha256(config).split(":")[1] + ".json"
    manifest = [{"Config": config_name, "RepoTags": ["a:1"], "Layers": ["one/layer.tar"]},
                {"Config": config_name, "RepoTags": ["b:1"], "Layers": ["two/layer.tar"]}]
    with tarfile.open(tmp_path / "img", "w") as tar:
        for name, data in (("one/layer.tar", layer), (config_name, config),
                           ("manifest.json", json.dumps(manifest).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("two/layer.tar")
        link.type = tarfile.SYMTYPE
        link.linkname = "../one/layer.tar"
        tar.addfile(link)
    assert chosen(tmp_path / "img", ref="b:1") == b"shared"


def test_docker_style_refs_with_the_same_tag(tmp_path: Path) -> None:
    root = tmp_path / "img"
    write_oci_layout(root, [one(b"alpine"), one(b"busybox")])
    index = json.loads((root / "index.json").read_text())
    for descriptor, name in zip(index["manifests"], ("alpine", "busybox"), strict=True):
        descriptor["annotations"] = {
            "io.containerd.image.name": f"docker.io/library/{name}:latest",
            "org.opencontainers.image.ref.name": "latest"}
    (root / "index.json").write_text(json.dumps(index))
    with pytest.raises(BundlebenchError, match="several images.*busybox:latest"):
        chosen(root)
    with pytest.raises(BundlebenchError, match="several images that 'latest' names"):
        chosen(root, ref="latest")
    assert chosen(root, ref="busybox:latest") == b"busybox"
    assert chosen(root, ref="docker.io/library/alpine:latest") == b"alpine"
