"""The image catalog and the builder's bookkeeping, without Docker."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from engine.images.builder import (
    CONTENT_HASH_LABEL,
    BusyboxMissing,
    ContextFile,
    ImageBuilder,
    ImageSourcesMissing,
    content_hash,
    context_files,
    find_busybox,
    write_context,
)
from engine.images.catalog import CATALOG, IMAGE_SOURCES, PAUSE_IMAGE, find_image, is_game_image

# A stand-in with an applet table, so the toolbox can shadow its wget.
FAKE_BUSYBOX = b"\x7fELF fake busybox\0wc\0wget\0which\0"


def elf(interpreter: bool) -> bytes:
    """A minimal 64-bit ELF header with one program header (PT_INTERP=3 or PT_LOAD=1)."""
    header = bytearray(64)
    header[:6] = b"\x7fELF\x02\x01"
    struct.pack_into("<Q", header, 32, 64)  # e_phoff
    struct.pack_into("<HH", header, 54, 56, 1)  # e_phentsize, e_phnum
    program = bytearray(56)
    struct.pack_into("<I", program, 0, 3 if interpreter else 1)
    return bytes(header + program)


class FakeStore:
    """Records builds; remembers labels as Docker would."""

    def __init__(self) -> None:
        self.labels: dict[str, dict[str, str]] = {}
        self.contexts: dict[str, set[str]] = {}

    def image_labels(self, ref: str) -> dict[str, str] | None:
        return self.labels.get(ref)

    def build_image(self, context_dir, tag, labels, progress=None) -> str:
        self.contexts[tag] = {p.relative_to(context_dir).as_posix()
                              for p in Path(context_dir).rglob("*") if p.is_file()}
        assert (Path(context_dir) / "busybox").stat().st_mode & 0o111
        if progress:
            progress("Step 1/1 : FROM scratch")
        self.labels[tag] = dict(labels)
        return "sha256:" + "0" * 64


def builder(store: FakeStore, tmp_path: Path, sources: Path = IMAGE_SOURCES) -> ImageBuilder:
    busybox = tmp_path / "busybox"
    busybox.write_bytes(FAKE_BUSYBOX)
    return ImageBuilder(store, sources=sources, busybox=busybox)


def test_catalog_lists_the_documented_images() -> None:
    refs = [image.ref for image in CATALOG]
    assert refs[:6] == ["kubequest/web:1.0", "kubequest/web:2.0", "kubequest/web:2.1",
                        "kubequest/worker:1.0", "kubequest/memhog:1.0", "kubequest/toolbox:1.0"]
    assert len(set(refs)) == len(refs)
    assert find_image(PAUSE_IMAGE).internal
    assert find_image("kubequest/web:2.1").settings["WEB_REQUIRE_DATABASE_URL"] == "1"
    assert find_image("kubequest/web:1.0").ports == (8080,)
    assert find_image("nginx") is None and find_image("kubequest/web") is None
    assert is_game_image("kubequest/web:9.9") and not is_game_image("nginx:1.25")
    for image in CATALOG:
        assert (IMAGE_SOURCES / image.source / "Dockerfile").is_file()
        assert image.behaviour


def test_content_hash_is_stable_and_sees_every_change() -> None:
    web = find_image("kubequest/web:1.0")
    files = context_files(web, FAKE_BUSYBOX)
    same = dict(reversed(list(context_files(web, FAKE_BUSYBOX).items())))
    assert content_hash(files) == content_hash(same)
    assert content_hash(files).startswith("sha256:")

    changed = dict(files, busybox=ContextFile(FAKE_BUSYBOX + b"!", True))
    assert content_hash(changed) != content_hash(files)
    mode = dict(files, Dockerfile=ContextFile(files["Dockerfile"].data, True))
    assert content_hash(mode) != content_hash(files)
    renamed = {("x" + k if k == "Dockerfile" else k): v for k, v in files.items()}
    assert content_hash(renamed) != content_hash(files)


def test_tags_from_one_source_differ_by_their_settings() -> None:
    hashes = {content_hash(context_files(find_image(f"kubequest/web:{t}"), FAKE_BUSYBOX))
              for t in ("1.0", "2.0", "2.1")}
    assert len(hashes) == 3


def test_context_holds_sources_busybox_and_image_env(tmp_path: Path) -> None:
    files = context_files(find_image("kubequest/web:2.1"), FAKE_BUSYBOX)
    assert {"Dockerfile", "busybox", "image.env", "rootfs/usr/local/bin/web",
            "rootfs/usr/local/lib/web/handler"} <= set(files)
    env = files["image.env"].data.decode()
    assert "IMAGE=kubequest/web:2.1\n" in env and "WEB_VERSION=2.1\n" in env
    write_context(files, tmp_path)
    assert (tmp_path / "rootfs/usr/local/bin/web").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "Dockerfile").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "busybox").read_bytes() == FAKE_BUSYBOX


def test_builder_builds_missing_then_nothing_then_everything_with_force(tmp_path: Path) -> None:
    store = FakeStore()
    b = builder(store, tmp_path)
    assert {s.state for s in b.status()} == {"missing"}

    steps: list[tuple[int, int, str]] = []
    result = b.build(progress=lambda step, total, message: steps.append((step, total, message)))
    assert {s.state for s in result} == {"current"}
    assert set(store.contexts) == {image.ref for image in CATALOG}
    assert "busybox" in store.contexts["kubequest/toolbox:1.0"]
    assert steps[0] == (1, len(CATALOG), "building kubequest/web:1.0 (missing)")
    assert ("  Step 1/1 : FROM scratch") in [m for _, _, m in steps]
    assert steps[-1] == (len(CATALOG), len(CATALOG), f"built {PAUSE_IMAGE}")
    label = store.labels["kubequest/web:1.0"][CONTENT_HASH_LABEL]
    assert label == content_hash(b.files(find_image("kubequest/web:1.0")))

    store.contexts.clear()
    assert b.missing() == []
    b.build()
    assert store.contexts == {}  # unchanged images are not rebuilt
    b.build(force=True)
    assert len(store.contexts) == len(CATALOG)


def test_a_changed_source_makes_its_image_stale(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(IMAGE_SOURCES, sources)
    store = FakeStore()
    b = builder(store, tmp_path, sources)
    b.build()
    (sources / "worker/rootfs/usr/local/bin/worker").write_text("#!/bin/sh\nexit 0\n")
    stale = {s.image.ref for s in b.status() if s.state == "stale"}
    assert stale == {"kubequest/worker:1.0"}


def test_missing_sources_are_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ImageSourcesMissing, match="no Dockerfile"):
        context_files(find_image("kubequest/web:1.0"), FAKE_BUSYBOX, tmp_path)


def test_find_busybox_says_how_to_install_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("KUBEQUEST_BUSYBOX", raising=False)
    with pytest.raises(BusyboxMissing, match="apt-get install busybox-static"):
        find_busybox([str(tmp_path / "nothing")])
    dynamic = tmp_path / "dynamic"
    dynamic.write_bytes(elf(interpreter=True))
    with pytest.raises(BusyboxMissing, match="not statically linked"):
        find_busybox([str(dynamic)])
    static = tmp_path / "static"
    static.write_bytes(elf(interpreter=False))
    assert find_busybox([str(dynamic), str(static)]) == static
    monkeypatch.setenv("KUBEQUEST_BUSYBOX", str(static))
    assert find_busybox() == static


@pytest.mark.skipif(shutil.which("busybox") is None, reason="busybox not installed")
def test_image_scripts_parse_in_busybox_sh() -> None:
    scripts = [p for p in IMAGE_SOURCES.rglob("*") if p.is_file() and p.read_bytes().startswith(b"#!")]
    assert len(scripts) >= 7
    for script in scripts:
        result = subprocess.run(["busybox", "sh", "-n", str(script)], capture_output=True,
                                text=True, check=False)
        assert result.returncode == 0, f"{script}: {result.stderr}"


def test_shadowed_applets_are_renamed_in_place_keeping_the_table_sorted():
    from engine.images.builder import AppletNotFound, shadow_applets

    table = b"\x7fELF...\0wc\0wget\0which\0\0usage text mentions wget here"
    patched = shadow_applets(table, ("wget",))
    assert patched == table.replace(b"\0wget\0", b"\0wgeT\0")
    assert len(patched) == len(table)
    with pytest.raises(AppletNotFound, match="not found once"):
        shadow_applets(table, ("curl",))
    with pytest.raises(AppletNotFound, match="would not stay sorted"):
        shadow_applets(b"\0wgetA\0wget\0which\0", ("wget",))


def test_only_the_toolbox_shadows_wget():
    from engine.images.catalog import CATALOG

    assert {i.ref: i.shadowed_applets for i in CATALOG if i.shadowed_applets} == {"kubequest/toolbox:1.0": ("wget",)}
