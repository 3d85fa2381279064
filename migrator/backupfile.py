"""Where a backup is written, and how it appears there: whole, or not at all.

The copy is written to a hidden temporary file in the backup's folder
(`.<name>.<random>.partial`) and given its final name only once it is complete and on disk.
Until then no file has the final name, not even an empty one, so a file with a backup's name is
always a whole backup. The final name is taken by a hard link, which fails rather than replace a
file that appeared meanwhile. A backup that fails or is stopped removes its temporary file; only
SIGKILL (which nothing can catch) leaves one, and its name says it is partial.

Files are created readable by their owner only (0600), folders the same (0700): a backup holds
every row.
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from .errors import BackupFailed, ConfigError
from .url import DatabaseURL

BACKUP_DIR = "backups"
SUFFIX = {"postgres": ".dump", "sqlite": ".db"}
MAX_NUMBERED = 1000  # name, name-2, … name-999: backups of one database in one second
TEMPORARY_PREFIX_BYTES = 200  # the temporary name adds ~20 bytes; most file systems allow 255


@dataclass(frozen=True)
class Destination:
    folder: Path
    name: str  # the file name wanted
    numbered: bool  # a default name: taken → name-2, name-3…; an --out file is never replaced

    def candidates(self) -> Iterator[Path]:
        yield self.folder / self.name
        if self.numbered:
            stem, suffix = os.path.splitext(self.name)
            for n in range(2, MAX_NUMBERED):
                yield self.folder / f"{stem}-{n}{suffix}"


def destination(url: DatabaseURL, project_dir: Path, out: str | Path | None) -> Destination:
    """Where the backup of `url` goes: `out` (a file, never overwritten, or an existing folder), else
    `<project_dir>/backups/<dbname>-<UTC time>.<dump|db>`. Checked now, before any work; nothing is
    created yet."""
    try:
        return _destination(url, project_dir, out)
    except OSError as exc:  # e.g. a name longer than the file system allows
        raise ConfigError(f"cannot write a backup to {out if out is not None else project_dir}: "
                          f"{exc.strerror}") from None


def _destination(url: DatabaseURL, project_dir: Path, out: str | Path | None) -> Destination:
    # Path() drops a trailing slash: `--out=newdir/` must not become a file named newdir.
    if out is not None and os.path.basename(os.fspath(out)) in ("", ".", "..") and not Path(out).is_dir():
        raise ConfigError(f"{out} names a folder that does not exist; create it first, or give --out a file name")
    if out is not None and not Path(out).is_dir():
        out = Path(out)
        if out.exists() or out.is_symlink():
            raise ConfigError(f"{out} already exists; a backup never overwrites a file (choose another --out)")
        return Destination(out.parent, out.name, numbered=False)
    folder = Path(out) if out is not None else project_dir / BACKUP_DIR
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", url.database_name) or "database"
    return Destination(folder, f"{name}-{stamp}{SUFFIX[url.dialect]}", numbered=True)


@contextlib.contextmanager
def temporary_file(where: Destination) -> Iterator[Path]:
    """An empty private file beside the final name, removed when the block ends unless
    `publish` gave it its name."""
    _make_private_dir(where.folder)
    prefix = "." + where.name.encode("utf-8", "surrogateescape")[:TEMPORARY_PREFIX_BYTES].decode(
        "utf-8", "ignore") + "."
    try:
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=".partial", dir=where.folder)
    except OSError as exc:
        raise ConfigError(f"cannot write in {where.folder}: {exc.strerror}") from None
    try:
        os.fchmod(fd, 0o600)  # mkstemp's 0600 is masked by the umask; never more, but never less either
    finally:
        os.close(fd)
    path = Path(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def publish(temporary: Path, where: Destination) -> Path:
    """Flush the complete copy to disk and give it the first free name of `where`; its path."""
    try:
        _fsync(temporary)
    except OSError as exc:
        raise BackupFailed(f"cannot write the backup in {where.folder}: {exc.strerror}") from None
    for final in where.candidates():
        try:
            _link_without_replacing(temporary, final)
        except FileExistsError:
            if not where.numbered:
                raise ConfigError(f"{final} already exists; a backup never overwrites a file "
                                  "(choose another --out)") from None
            continue
        except OSError as exc:
            raise ConfigError(f"cannot write {final}: {exc.strerror}") from None
        temporary.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # the backup is whole either way; this makes its name survive a crash
            _fsync(where.folder)
        return final
    raise ConfigError(f"too many backups named {where.name} in {where.folder}")


def _link_without_replacing(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        # a file system without hard links: check, then rename (a race with another writer of this
        # very name is possible here, and only here)
        if target.exists():
            raise FileExistsError(errno.EEXIST, "File exists", str(target)) from None
        os.rename(source, target)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.EBADF):  # folders on some file systems cannot be synced
            raise
    finally:
        os.close(fd)


def _make_private_dir(folder: Path) -> None:
    if folder.is_dir():
        return
    try:
        folder.mkdir(mode=0o700, parents=True)
        os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask
    except OSError as exc:
        raise ConfigError(f"cannot create folder {folder}: {exc.strerror}") from None
