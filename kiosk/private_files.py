"""Files holding personal data or secrets are created readable by their owner only.

The kiosk's and the centre's databases, exports (CSV/XLSX) and backlog files hold full
identities; token files hold a kiosk's credential. They are created 0600, whatever the
process umask, in folders created 0700 when the program owns them (:func:`private_dir`; a
command's output goes only into a folder already there: :func:`output_folder`), and a file
found readable by others is reported (:func:`exposure`) at start-up and by ``kiosk config
check``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from kiosk.messages import WordedError

if TYPE_CHECKING:
    from kiosk.messages import Words
    from kiosk.upkeep import FileIdentity

FILE_MODE = 0o600
DIR_MODE = 0o700
MEDIA_ROOTS: tuple[Path, ...] = (Path("/media"), Path("/run/media"), Path("/mnt"))
"""Where removable media are mounted (usbmount, udisks, fstab, by hand): a command's
output under one of them is meant for a stick, so it must be on a file system mounted
there (:func:`output_folder`). In the order the sync screen looks for a stick: ``/mnt``
last, where a data partition may be mounted rather than a stick."""


def private_dir(path: Path) -> None:
    """Create the folder (and missing parents) 0700; an existing folder is left as it is.

    Only for a folder the program owns: its data and config folders (the store, keys and
    token beside it, the centre's database). A file a command writes where its user says
    (``-o``, ``--to``, ``--save``, ``--snapshot``) goes only into a folder that is already
    there, never one made (:func:`output_folder`): ``--to /media/usb/…`` with no stick
    mounted would make ``/media/usb`` on the kiosk's own disk, the export said done, the
    stick left empty. The one folder a command is told to fill, the centre's reports folder
    (``report --out-dir``, the 06:00 timer's), is the centre's own: made if missing
    (:func:`kiosk.central.report_files.write`, readable by the province's staff)."""
    if not path.exists():
        private_dir(path.parent)
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=DIR_MODE)
        os.chmod(path, DIR_MODE)  # mkdir's mode is masked by the umask


def create_private(path: Path) -> None:
    """Create an empty 0600 file (and its folder 0700) unless it exists; others' files keep
    their mode, so a shared read-only store is never touched."""
    if path.exists():
        return
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))


def open_private(path: str | Path, mode: str = "w", **kwargs: Any) -> IO[Any]:
    """``open`` that creates the file 0600 (an existing file is truncated, mode unchanged)."""
    path = Path(path)
    private_dir(path.parent)
    return open(path, mode, opener=lambda p, flags: os.open(p, flags, FILE_MODE), **kwargs)


def replace_file(path: str | Path, data: bytes, *, mode: int = FILE_MODE,
                 force: bool = True, output: bool = False) -> None:
    """Write ``path`` whole through a temporary file in its folder: readers see the old file
    or the new one, never a part, and the file has ``mode`` (0600 unless said otherwise)
    whatever it had before and whatever the umask. ``force=False`` (a command's output
    without ``--force``): a file already at ``path`` is kept and :class:`OutputExists`
    raised (:func:`place`). A pipe or a device (``-o /dev/null``) is written into, never
    replaced by a file, unless :func:`_unfit` (:class:`OutputRefused`). ``output``: a
    command's output named by its user, whose folder is never made (:func:`output_folder`);
    else a file the program owns, its folder made 0700 (:func:`private_dir`)."""
    path = Path(path)
    if output:
        output_folder(path)
    elif not path.parent.exists():
        private_dir(path.parent)
    if _special(path):
        with os.fdopen(_open_special(path), "wb") as out:
            out.write(data)
        return
    import tempfile  # only this writer needs it (a cold `kiosk scan` does not)

    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # made 0600
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        place(tmp, path, force=force)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class OutputExists(WordedError):
    """A command's output file (``-o FILE``, ``--to FILE``) is already there and
    ``--force`` was not given: it is kept as it was, nothing written."""

    def __init__(self, path: str | Path) -> None:
        super().__init__("files.output_exists", path=str(path))


class OutputRefused(OutputExists):
    """A command's output is a block device (a disk), a socket or another account's named
    pipe (a link to one too), with or without ``--force``: writing there would damage a
    disk or hand the output to that account, however the name came to lead there (a link
    planted in a shared folder)."""

    def __init__(self, path: str | Path) -> None:  # its own code, not its parent's
        WordedError.__init__(self, "files.output_refused", path=str(path))


class OutputNotFile(OutputExists):
    """A command's output that must be a file (a backlog file: written whole beside, renamed
    into place, read back and checked) names a pipe or a device (a link to one too):
    refused with or without ``--force``, left as it is. Renamed over, ``/dev/null`` would
    become a file (run as root, every other program writing to it then fails)."""

    def __init__(self, path: str | Path) -> None:  # its own code, not its parent's
        WordedError.__init__(self, "files.output_not_file", path=str(path))


class OutputFolderMissing(OutputExists):
    """The folder a command's output is to be written into is not there (a USB stick not
    plugged in or not mounted, a slip in the path): refused, nothing written, never made
    (:func:`private_dir`): made, it would be on the kiosk's own disk."""

    def __init__(self, path: str | Path) -> None:  # its own code, not its parent's
        WordedError.__init__(self, "files.output_folder_missing", path=str(path),
                             folder=str(Path(path).parent))


class OutputNotMounted(OutputExists):
    """The folder a command's output is to be written into lies under a media root
    (:data:`MEDIA_ROOTS`) but no file system is mounted there (a ``/media/usb`` left by an
    earlier version, usbmount's ``/media/usb0``, an fstab mount point with no stick in it):
    refused, nothing written: written, the identities would stay on the machine's own disk
    and the operator leave with an empty stick."""

    def __init__(self, path: str | Path) -> None:  # its own code, not its parent's
        WordedError.__init__(self, "files.output_not_mounted", folder=str(Path(path).parent),
                             roots=", ".join(str(root) for root in MEDIA_ROOTS))


class OutputIsFolder(OutputExists):
    """A command's output names a folder (a link to one too): refused with or without
    ``--force``, ``example`` a file in it to give instead. Never removed for a file."""

    def __init__(self, path: str | Path, example: str) -> None:
        WordedError.__init__(self, "files.output_is_folder", path=str(path),
                             example=str(Path(path) / example))


def output_folder(path: str | Path) -> None:
    """:class:`OutputFolderMissing` unless the folder of ``path``, a command's output, is
    there, :class:`OutputNotMounted` when it is a media folder with no stick mounted
    (:func:`_unmounted_media`): the one rule for every output its user names (``kiosk export
    -o``, ``kiosk sync export --to``, ``kiosk-central trace -o`` and ``report -o``), whose
    folder is never made; a path leading through a file is left to the write, which says
    so."""
    folder = Path(path).parent
    if not os.path.exists(folder):
        raise OutputFolderMissing(path)
    if _unmounted_media(folder):
        raise OutputNotMounted(path)


def _unmounted_media(folder: str | Path) -> bool:
    """Whether ``folder`` (links resolved) lies under a media root (:data:`MEDIA_ROOTS`,
    or is one) on the file system of that root's parent: no folder from it up to the root
    is a mount point (:func:`os.path.ismount`: on another device than its parent, or a
    file system's top). A stick mounted at ``/media/usb``, or at ``/mnt`` itself, is one;
    a folder outside the media roots is the machine's disk on purpose, never refused."""
    real = Path(os.path.realpath(folder))
    for root in MEDIA_ROOTS:
        top = Path(os.path.realpath(root))
        if real == top or top in real.parents:
            below = [real, *real.parents]
            return not any(os.path.ismount(step) for step in below[:below.index(top) + 1])
    return False


def refuse_special(path: str | Path) -> None:
    """:class:`OutputNotFile` when ``path`` is a pipe, a device or a socket."""
    if _special(path):
        raise OutputNotFile(path)


def _special(path: str | Path) -> bool:
    """Whether ``path`` is a pipe, a device or a socket (a link to one too): it takes a
    command's output as written, and is never replaced by a file."""
    try:
        found = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(found) or stat.S_ISDIR(found))


def _unfit(found: os.stat_result) -> bool:
    """Whether a special file (:func:`_special`) must not take a command's output: a block
    device, a socket, or a named pipe neither this account's nor root's (another account
    would read what is written)."""
    mode = found.st_mode
    return (stat.S_ISBLK(mode) or stat.S_ISSOCK(mode)
            or (stat.S_ISFIFO(mode) and found.st_uid not in (os.geteuid(), 0)))


def _open_special(path: str | Path) -> int:
    """A descriptor writing into the pipe or device ``path`` (:func:`_special`), checked
    on what was opened (:func:`_unfit`: :class:`OutputRefused`), never created."""
    handle = os.open(path, os.O_WRONLY)
    if _unfit(os.fstat(handle)):
        os.close(handle)
        raise OutputRefused(path)
    return handle


def existing_output(path: str | Path, *, force: bool, example: str) -> Words | None:
    """Why a command must not write its output at ``path``: its folder is not there, or is
    a media folder with no stick mounted (:func:`output_folder`); it is a folder, with or
    without ``force`` (:class:`OutputIsFolder`: ``example`` is the name of a file to give
    in it); without ``force`` (its ``--force``), a file is already there — a link too, even
    one leading nowhere — which writing would replace. A pipe or a device (``-o /dev/null``,
    ``-o >(gzip …)``) is not refused; a block device, a socket or another account's named
    pipe always is (:class:`OutputRefused`).
    Asked before the command does its work (a trace recorded in the audit log, an export's
    rows read); :func:`open_output` and :func:`place` refuse what appears meanwhile."""
    try:
        output_folder(path)
    except (OutputFolderMissing, OutputNotMounted) as exc:
        return exc.words
    if os.path.isdir(path):  # a link to one too
        return OutputIsFolder(path, example).words
    if _special(path):
        with contextlib.suppress(OSError):
            if _unfit(os.stat(path)):
                return OutputRefused(path).words
        return None
    if force or not os.path.lexists(path):
        return None
    return OutputExists(path).words


def open_output(path: str | Path, *, force: bool) -> IO[bytes]:
    """Open a command's output file for writing (binary), created 0600 in its folder, which
    must be there (:func:`output_folder`). Created exclusively (``O_EXCL``): a file already
    there is refused with :class:`OutputExists` unless ``force``; with it, the file or link
    there is removed and the output made anew, 0600: never written through a link (one
    planted in a shared folder would lead the identities into its planter's file, or root's
    write into any file), never left readable by others as the old file was. A pipe or a
    device is opened as it is (a named pipe waits for its reader), unless :func:`_unfit`."""
    path = Path(path)
    output_folder(path)
    try:
        return os.fdopen(os.open(path, _CREATE, FILE_MODE), "wb")
    except FileExistsError:
        if os.path.isdir(path):  # made meanwhile (a link to one too): never removed
            return os.fdopen(os.open(path, os.O_WRONLY), "wb")  # fails, naming the folder
        if (why := existing_output(path, force=force, example="")) is not None:
            raise (OutputRefused if why.code == "files.output_refused" else OutputExists)(
                path) from None
    if _special(path):
        return os.fdopen(_open_special(path), "wb")
    try:
        return open_fresh(path)  # --force: the name replaced, not where it leads
    except FileExistsError:  # made again meanwhile: kept
        raise OutputExists(path) from None


def open_fresh(path: str | Path) -> IO[bytes]:
    """A new file at ``path`` for writing (binary), 0600: whatever has the name (a file
    left by a run that failed, a link planted there) is removed first, never followed nor
    written into. FileExistsError when something takes the name again meanwhile."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    return os.fdopen(os.open(path, _CREATE, FILE_MODE), "wb")


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
"""A file created, never one already there, never through a link."""


def place(written: str | Path, path: str | Path, *, force: bool) -> None:
    """Give the finished file ``written`` (a temporary in the same folder) the name
    ``path``. ``force``: replacing whatever is there. Else never over a file already there
    (:class:`OutputExists`, ``written`` left to the caller): a hard link made and the
    temporary name removed, so the check and the naming are one step; on a file system
    without hard links (a FAT USB stick) the name is checked, then given."""
    if force:
        os.replace(written, path)
        return
    try:
        os.link(written, path)
    except FileExistsError:
        raise OutputExists(path) from None
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        if os.path.lexists(path):
            raise OutputExists(path) from None
        os.replace(written, path)
        return
    os.unlink(written)


_NO_HARD_LINKS = frozenset((errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK,
                            errno.ENOSYS))
"""What ``link()`` answers on a file system that has no hard links (FAT, exFAT)."""


def exposure(path: str | Path) -> str | None:
    """``0644`` (the octal mode) when group or others may read the file, else None."""
    try:
        mode = Path(path).stat().st_mode
    except OSError:
        return None
    return f"{mode & 0o777:04o}" if mode & 0o044 else None


def hand_over(path: Path) -> None:
    """Run as root (``sudo kiosk enrol``, a root shell on the kiosk), a file written would be
    root's and the kiosk account could no longer read or rewrite it: give ``path`` to the
    owner of its folder (the kiosk account owns its config and data folders)."""
    if os.geteuid() != 0:
        return
    owner = Path(path).parent.stat()
    os.chown(path, owner.st_uid, owner.st_gid)


STORE_SIDE_FILES = ("", "-wal", "-shm", "-journal")
"""The files SQLite keeps a store in: the file itself, its log, the log's index, a rollback
journal."""


def _place(path: str | Path) -> tuple[FileIdentity, str] | None:
    """Where ``path`` would be written: its folder's identity and its name, links followed.
    None when that cannot be told (a link loop, a folder missing or unreadable: opening the
    path says why)."""
    from kiosk.upkeep import file_identity

    try:
        resolved = Path(path).resolve()
        folder = file_identity(resolved.parent)
    except (OSError, RuntimeError):  # RuntimeError: a link loop (Path.resolve)
        return None
    return None if folder is None else (folder, resolved.name)


def output_over_store(output: str | Path, store: str | Path) -> Words | None:
    """Why a file a command is asked to write (``kiosk export -o``, ``kiosk sync export
    --to``, ``kiosk-central trace -o`` and ``report -o``) must not be: it is the SQLite
    database the command works on (the kiosk's store, the centre's database) or one of its
    side files (:data:`STORE_SIDE_FILES`) by any name, a hard link or a symbolic link to it.
    Writing it would truncate or replace the live database, and every entry in it (on a
    kiosk, every entry not yet at the centre). Compared by file identity (a link to one)
    and by place, the folder's identity and the name: a side file SQLite has not made yet
    (the store closed has no log; a WAL store never a rollback journal) is made by the
    command itself as it opens the store, before the output is opened over it, and the
    folder may be reached by another path than the store's (a bind mount of the data
    folder, as read-only system images have: the same folder, not a link). None when
    ``output`` is none of them. Asked before the output is opened for writing."""
    from kiosk import messages
    from kiosk.upkeep import file_identity

    try:
        found = file_identity(output)
    except OSError:  # the write itself will say why the path cannot be used
        found = None
    target, home = _place(output), _place(store)
    for suffix in STORE_SIDE_FILES:
        side = f"{store}{suffix}"
        named = target is not None and home is not None and target == (home[0],
                                                                        home[1] + suffix)
        with contextlib.suppress(OSError):
            named = named or (found is not None and file_identity(side) == found)
        if named:
            return messages.Words("files.output_is_store", {"path": str(output),
                                                            "store": side})
    return None


def output_over_kept(output: str | Path, kept: Iterable[Path]) -> Words | None:
    """Why a file a command is asked to write must not be: it is one of ``kept``, the files
    a kiosk keeps (:func:`kiosk.sync.kiosk_keys.kept_files`: its config, token and keys), by
    its name or through a link, as :func:`output_over_store` tells. ``--force`` replaces an
    earlier export, never these: a slip of ``--to`` would destroy the kiosk's signing key or
    the centre's key it keeps. None when ``output`` is none of them."""
    from kiosk import messages
    from kiosk.upkeep import file_identity

    try:
        found = file_identity(output)
    except OSError:  # the write itself will say why the path cannot be used
        found = None
    target = _place(output)
    for path in kept:
        named = target is not None and target == _place(path)
        with contextlib.suppress(OSError):
            named = named or (found is not None and file_identity(path) == found)
        if named:
            return messages.Words("files.output_is_kept", {"path": str(output),
                                                           "kept": str(path)})
    return None
