"""Paths and files: whether a path lies in a folder, how a path is shown, and
writing files so that a failure never leaves half a file. No domain imports.

A new file gets the mode `open()` would give it under the current umask
(mkstemp's 0600 would make a published index.html unreadable to a web
server); an existing file keeps its mode, owner and group; a symlink stays a
symlink and its target gets the new content.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

from marpkit.findings import UsageError


class WriteError(UsageError, OSError):
    """A file marpkit must write cannot be written (read-only folder, full disk):
    a set-up problem for the person to fix, reported in one line (exit 2)."""

    def __init__(self, path: Path | str, reason: str):
        self.path, self.reason = Path(path), reason
        super().__init__(f"cannot write {shown(self.path)}: {reason}")

    @classmethod
    def from_os(cls, exc: OSError, path: Path | str | None = None) -> WriteError:
        return cls(path or exc.filename or "?", exc.strerror or str(exc))


def real(path: Path | str) -> Path:
    """Where `path` really is, symlinks followed: Path.resolve() without its
    RuntimeError on a symlink loop (Python 3.11), which is a file to report
    (MK204), not a crash. A loop resolves to itself."""
    return Path(os.path.realpath(path))


def inside(path: Path | str, folder: Path | str, follow: bool = False) -> PurePosixPath | None:
    """`path` relative to `folder` when it lies in `folder` (or is it: "."), else None.

    By default the answer is about names: both are made absolute and `..`
    folded away as text, and a symlink lies where it is. With `follow`, both
    are resolved first, so a symlink lies where it points: what reading the
    file reads. A path that cannot be resolved (a symlink loop) lies nowhere.
    """
    try:
        if follow:
            path, folder = Path(path).resolve(), Path(folder).resolve()  # a loop raises: nowhere
        else:
            path, folder = Path(os.path.abspath(path)), Path(os.path.abspath(folder))
        return PurePosixPath(path.relative_to(folder).as_posix())
    except (ValueError, OSError, RuntimeError):
        return None


def shown(path: Path | str, base: Path | str | None = None) -> str:
    """A path as a person should read it: relative to `base` (the working
    directory unless given) when it lies there, else as it was given.

    The path is named as itself first (a symlink in `base` keeps its own name)
    and by its real location only when that alone lies in `base`.
    """
    if base is None:
        try:
            base = Path.cwd()
        except OSError:  # the working directory was removed
            return str(path)
    rel = inside(path, base) or inside(path, base, follow=True)
    return str(path) if rel is None else rel.as_posix()


# What marpkit reads of a person's files, at most: far above any real deck
# (10,000 slides are about 1 MB) or snippet, far below what would stall a run
# (a 57 MB snippet took lint 163 s before it gave up, naming no deck).
DECK_LIMIT = 16 << 20
SNIPPET_LIMIT = 2 << 20


def _size(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB" if n >= 1 << 20 else f"{n} bytes"


def read_input(path: Path | str, limit: int, head: bool = False) -> bytes:
    """The bytes of an input file (a deck, a snippet), or OSError with a reason
    a person can act on: not a regular file (a FIFO would block the run
    forever, a device never end), or larger than `limit`, said up front.
    With `head`, its first `limit` bytes, however long it is."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a pipe or device)"
            raise OSError(errno.EINVAL, f"{kind}: marpkit reads only plain files", str(path))
        if head:
            return handle.read(limit)
        if info.st_size > limit:
            raise OSError(errno.EFBIG, f"the file is {_size(info.st_size)}, over marpkit's limit of "
                                       f"{_size(limit)} for this kind of file", str(path))
        data = handle.read(limit + 1)
    if len(data) > limit:  # it grew while being read
        raise OSError(errno.EFBIG, f"the file is over marpkit's limit of {_size(limit)}", str(path))
    return data


def _umask() -> int:
    # The umask can only be read by setting it; set it straight back.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write next to the target and rename over it: readers see old or new, never half.

    An existing file keeps its mode, owner and group. One the user may not
    write (0444, someone else's) is refused, not replaced: the folder's
    permission to rename over it is not the file's permission to change it.
    Where the replacement cannot get the original's owner (chown not
    permitted) or a rename would split a hard link, the file is rewritten in
    place instead, as editors do, so it stays the file it was.
    """
    path = Path(path)
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        original = path.stat()
    except FileNotFoundError:
        original = None
    except OSError as exc:
        raise WriteError.from_os(exc, path) from None
    if original is not None and not os.access(path, os.W_OK):
        raise WriteError(path, "the file is read-only for this user (permission denied)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise WriteError.from_os(exc, path) from None
    try:
        faithful = original is None or _same_owner_possible(tmp, original)
        if faithful:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, original.st_mode & 0o7777 if original else 0o666 & ~_umask())
            os.replace(tmp, path)
        else:
            os.close(fd)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise WriteError.from_os(exc, path) from None
        raise
    if not faithful:
        Path(tmp).unlink(missing_ok=True)
        _write_in_place(path, data)


def _same_owner_possible(tmp: str, original: os.stat_result) -> bool:
    """Give the temp file the original's owner and group; False where that is not
    permitted or a rename would cut the file from its other hard links."""
    if original.st_nlink > 1:
        return False
    mine = os.stat(tmp)
    if (mine.st_uid, mine.st_gid) == (original.st_uid, original.st_gid):
        return True
    try:
        os.chown(tmp, original.st_uid, original.st_gid)
    except PermissionError:
        return False
    return True


def _write_in_place(path: Path, data: bytes) -> None:
    try:
        with open(path, "r+b") as handle:
            handle.write(data)
            handle.truncate()
    except OSError as exc:
        raise WriteError.from_os(exc, path) from None


@contextlib.contextmanager
def exclusive(lock: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on `lock` (created if needed) for the block.

    If another process holds it, `on_wait` is called once and the block waits
    for it. The kernel drops the lock when its holder exits, however it exits,
    so a crashed run never leaves a stale lock behind.
    """
    import fcntl

    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise WriteError.from_os(exc, lock.parent) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
