"""The OS-level sandbox snippets run in: Linux namespaces, set up by bubblewrap.

One sandbox holds the whole warm pool (and its wandb-core), so forking stays
as fast as without it. bwrap gives the pool its own user, network (loopback
only), PID, IPC, UTS and mount namespaces, a filesystem with only what a
snippet needs (the system's /usr and libraries, a few files of /etc, Python
and the venv, the project; all read-only), a private /tmp as HOME, and an
environment built from an allow-list; it dies with `marpkit check`
(`--die-with-parent`), and the kernel kills everything in the PID namespace
with it. The rest of the host (/etc/shadow, /root, other projects, /var) is
not there at all.

Inside, two more steps need no privileges beyond a user namespace:

* the pool enters a user + mount namespace of its own, so it may mount one
  size-limited tmpfs per snippet (the disk quota) where wandb-core sees it;
* each snippet child enters a further user + PID + network + mount
  namespace: it loses the pool's rights over those mounts, cannot see the
  pool or other snippets (processes, loopback, folders under /tmp), and
  everything it starts dies when it ends (the kernel kills a PID namespace
  whose first process exits, `setsid` and double forks included).

`marpkit check` reads each snippet's results through `/proc/POOL/root`, the
pool's own view of the filesystem; nothing of a sandboxed check is written to
the host's disk.
"""

from __future__ import annotations

import ctypes
import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

LEVELS = ("auto", "strict", "basic")
ENV_LEVEL = "MARPKIT_CHECK_ISOLATION"  # the --isolation default, e.g. strict in CI

# Inside the sandbox: the pool's private tmpfs.
ROOT = "/tmp/marpkit-check"
# Nothing listens inside the sandbox's own loopback, so any fixed port is
# refused; a fixed one keeps W&B's error text the same on every run.
CLOSED_URL = "http://127.0.0.1:9"
# The pool's /tmp holds wandb-core's socket, logs and the service folders (the
# snippets' folders are tmpfs mounts of their own); a long check logs a few MiB.
POOL_TMP = 256 * 1024**2
SHM_SIZE = 64 * 1024**2  # each snippet's own /dev/shm (multiprocessing's semaphores, ...)
OUT_SIZE = 2 * 256 * 1024**2 + 1024**2  # stdout + stderr (each capped by RLIMIT_FSIZE) + result

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 1
MS_NOSUID, MS_NODEV = 2, 4
MNT_DETACH = 2
PR_SET_PDEATHSIG = 1


_MISSING = "no network, PID or filesystem isolation"


def _untried() -> str | None:
    """Why the sandbox is not even worth a probe here, or None."""
    if not sys.platform.startswith("linux"):
        return f"{_MISSING}: Linux namespaces are not available on {sys.platform}"
    from marpkit.check.env import forking  # here: this file also runs alone, as the probe

    if not forking():
        return f"{_MISSING}: snippets run without the fork pool (MARPKIT_CHECK_NO_FORK=1)"
    if shutil.which("bwrap") is None:
        return f"{_MISSING}: bubblewrap (bwrap) is not installed"
    return None


def may_be_available() -> bool:
    """Whether unavailable() will run its probe (which then decides)."""
    return _untried() is None


@functools.lru_cache(maxsize=1)
def unavailable() -> str | None:
    """Why snippets cannot run in namespaces here (the isolation that is missing), or None."""
    if (why := _untried()) is not None:
        return why
    missing = _MISSING
    bwrap = shutil.which("bwrap")
    from marpkit import procs  # not at the top: this file also runs alone, as the probe
    from marpkit.text import split_lines

    try:
        # The probe takes every step a check takes (both nested namespaces, a
        # quota mount), with a bare interpreter: ~30 ms.
        proc = procs.run([bwrap, *_NAMESPACES, "--ro-bind", "/", "/", "--proc", "/proc",
                          "--dev", "/dev", "--", sys.executable, "-I", "-S",
                          os.path.abspath(__file__), "--probe"], text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{missing}: bwrap does not start ({exc})"
    if proc.returncode != 0:
        reason = (split_lines(proc.stderr.strip()) or [f"exit code {proc.returncode}"])[-1]
        return f"{missing}: user namespaces are not available ({reason})"
    return None


# What basic isolation leaves open, said once per check run wherever it is used.
NOT_PROTECTED = ("snippets are not sandboxed: they can read every file this user can, write "
                 "into the project (slides/, snippets/, pyproject.toml), reach the network, "
                 "and (without a writable cgroup) leave `setsid` processes running after the "
                 "check")


def effective(level: str) -> str:
    """The level asked for, except that in CI (`CI=true`) auto means strict: a CI job
    must not quietly run snippets unsandboxed."""
    if level == "auto" and os.environ.get("CI", "").lower() == "true":
        return "strict"
    return level


def choose(level: str) -> tuple[bool, str | None]:
    """(run in the sandbox?, the warning to print once); strict without it is exit 2."""
    from marpkit.findings import UsageError

    why = " (CI=true makes auto strict)" if effective(level) != level else ""
    level = effective(level)
    if level == "basic":
        return False, f"marpkit check: --isolation basic: {NOT_PROTECTED}"
    reason = unavailable()
    if reason is None:
        return True, None
    if level == "strict":
        raise UsageError(f"--isolation strict{why}: {reason}")
    return False, f"marpkit check: {reason}; {NOT_PROTECTED} " \
                  f"(--isolation strict makes this an error)"


# Every namespace but the cgroup one: a pool in a cgroup namespace of its own
# could not move its children into their cgroups where cgroup2 is mounted with
# nsdelegate (systemd's default); each snippet gets its own once it has joined.
_NAMESPACES = ("--unshare-user", "--unshare-ipc", "--unshare-pid", "--unshare-net",
               "--unshare-uts", "--die-with-parent", "--new-session")


def _existing(paths) -> set[Path]:
    found = set()
    for entry in paths:
        for path in {Path(os.path.abspath(entry)), Path(entry).resolve()}:
            if path.exists():
                found.add(path)
    return found


def under_tmp(readable) -> list[str]:
    """The folders of `readable` that the pool sees under /tmp (bound back there);
    a snippet's private /tmp shows them too."""
    from marpkit.fsutil import inside  # not at the top: this file also runs alone, as the probe

    return sorted(str(p) for p in _existing(readable)
                  if inside(p, "/tmp") is not None and p != Path("/tmp"))


# The system a snippet runs on: bound read-only, or recreated as the symlinks
# they are on merged-/usr systems. Nothing else of the host's / is mounted.
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# Of /etc only what the dynamic linker, Python, SSL, time zones and a DNS-less
# resolver read; no passwd, shadow, or the host's configuration.
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "ssl", "ca-certificates",
       "pki", "localtime", "timezone", "nsswitch.conf", "hosts", "host.conf", "gai.conf",
       "protocols", "services", "mime.types", "fonts")
# CPU topology: glibc, OpenBLAS and torch read it to size their thread pools.
SYS_CPU = "/sys/devices/system/cpu"


def _mount_as_is(path: str) -> list[str]:
    if os.path.islink(path):
        return ["--symlink", os.readlink(path), path]
    if os.path.exists(path):
        return ["--ro-bind", path, path]
    return []


def pool_command(argv: list[str], env: dict[str, str], readable: list[str],
                 info_fd: int, writable: list[str] = ()) -> list[str]:
    """bwrap's command line for the pool: `readable` are the folders it must read
    (the project, Python, marpkit), `writable` the snippets' cgroups it must join."""
    from marpkit.fsutil import inside  # not at the top: this file also runs alone, as the probe

    bwrap = shutil.which("bwrap") or "bwrap"
    cmd = [bwrap, *_NAMESPACES, "--as-pid-1"]
    for path in SYSTEM:
        cmd += _mount_as_is(path)
    for name in ETC:
        cmd += _mount_as_is(f"/etc/{name}")
    cmd += ["--dev", "/dev", "--proc", "/proc", "--size", str(SHM_SIZE), "--tmpfs", "/dev/shm",
            "--size", str(POOL_TMP), "--tmpfs", "/tmp"]
    if os.path.isdir(SYS_CPU):
        cmd += ["--ro-bind", SYS_CPU, SYS_CPU]
    system = [Path(p) for p in SYSTEM if os.path.isdir(p) and not os.path.islink(p)]
    # /tmp itself (or a folder above it) on the list, as when a script run from
    # /tmp puts it on sys.path, would leave the pool no private /tmp to work in:
    # every snippet would fail. Its own folders are still bound.
    wanted = [p for p in _existing(readable) if inside("/tmp", p) is None
              and not any(inside(p, folder) is not None for folder in system)]
    # Shortest first: a folder inside another is bound on top of it, not hidden by it.
    for path in sorted(wanted, key=lambda p: len(p.parts)):
        cmd += ["--ro-bind", str(path), str(path)]
    for path in writable:
        cmd += ["--bind", path, path]
    cmd += ["--clearenv"]
    for key, value in sorted(env.items()):
        cmd += ["--setenv", key, value]
    cmd += ["--chdir", "/tmp", "--info-fd", str(info_fd), "--", *argv]
    return cmd


# ----- inside the sandbox -------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _own_user_namespace(flags: int) -> None:
    """Enter a new user namespace (plus `flags`), mapped to the same uid and gid:
    full rights over namespaces created with it, none over its parent's."""
    uid, gid = os.geteuid(), os.getegid()
    _check(_libc().unshare(CLONE_NEWUSER | flags), "unshare")
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                       ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as fh:
            fh.write(text)


def enter_pool_namespace() -> None:
    """The pool's own mount namespace: mounts it makes are its own to undo."""
    _own_user_namespace(CLONE_NEWNS)


def mount_quota(path: str, size: int) -> None:
    os.makedirs(path, exist_ok=True)
    _check(_libc().mount(b"tmpfs", path.encode(), b"tmpfs", MS_NOSUID | MS_NODEV,
                         f"size={size},mode=0700".encode()), f"mount {path}")


def unmount(path: str) -> None:
    _libc().umount2(path.encode(), MNT_DETACH)


def disk_used(path: str) -> tuple[int, bool]:
    """Bytes used on the tmpfs at `path`, and whether it is full."""
    stat = os.statvfs(path)
    return (stat.f_blocks - stat.f_bfree) * stat.f_frsize, stat.f_bavail == 0


def _die_with_parent() -> None:
    import signal

    _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _wait_for(pid: int, reap_all: bool) -> int:
    while True:
        try:
            done, status = os.waitpid(-1 if reap_all else pid, 0)
        except ChildProcessError:
            return 70
        except InterruptedError:
            continue
        if done == pid:
            return os.waitstatus_to_exitcode(status)


MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC = 1, 32, 4096, 16384


def _private_tmp(rw: list[str], ro: list[str]) -> None:
    """In the child's own mount namespace: a read-only /tmp that shows only its own
    folders (not the pool's, other snippets' or wandb-core's files), the service
    folder read-only (for its socket), and a /dev/shm of its own."""
    libc = _libc()
    fds = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY), path in ro) for path in rw + ro]
    _check(libc.mount(b"tmpfs", b"/tmp", b"tmpfs", MS_NOSUID | MS_NODEV,
                      b"size=1m,mode=0755"), "mount /tmp")
    for path, fd, read_only in fds:
        os.makedirs(path, exist_ok=True)
        source = f"/proc/self/fd/{fd}".encode()
        _check(libc.mount(source, path.encode(), None, MS_BIND | MS_REC, None), f"bind {path}")
        if read_only:
            _check(libc.mount(None, path.encode(), None,
                              MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, None),
                   f"read-only {path}")
        os.close(fd)
    _check(libc.mount(None, b"/tmp", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
                      b"size=1m,mode=0755"), "read-only /tmp")
    _check(libc.mount(b"tmpfs", b"/dev/shm", b"tmpfs", MS_NOSUID | MS_NODEV,
                      f"size={SHM_SIZE},mode=1777".encode()), "mount /dev/shm")


def _hide_cgroups() -> None:
    """The snippet's cgroup, which the pool could write, is out of its sight: it has
    joined it already, and must not raise its own limits."""
    if os.path.isdir("/sys/fs"):
        _check(_libc().mount(b"tmpfs", b"/sys/fs", b"tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY,
                             b"size=4k,mode=0555"), "hide /sys/fs")


def _loopback_up() -> None:
    """A new network namespace starts with its loopback down: bring it up, so a
    snippet may still serve and reach itself on 127.0.0.1."""
    import fcntl
    import socket
    import struct

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


def isolate_child(rw: list[str], ro: list[str], after=None, private: int | None = None) -> None:
    """Called in a child the pool forked; returns only in the process that runs the snippet.

    This child (A) drops the pool's rights by entering a new user namespace with
    new PID, network and mount namespaces (where it sees only its own folders under /tmp:
    `rw` writable, `ro` read-only) and forks its first process (B, PID 1 there), which forks
    the snippet (C, PID 2, so it never shares the pool's PID 1 in W&B's service
    token). B reaps orphans and exits with C's code; its exit makes the kernel
    kill whatever C left behind. A waits for B, so the pool sees A end only after
    all of it is gone; killing A (timeout) takes B and with it the namespace.
    Then A calls `after` (it sees what the snippet saw, nothing of it runs any
    more), and exits with B's code whatever `after` does. B closes the file
    descriptor `private` first thing: it stays A's alone.
    """
    import signal

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, signal.SIG_DFL)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)  # the pool's protocol pipe is not the snippet's to write
    os.close(null)
    try:
        # Its own loopback too (~15 ms): snippets running side by side cannot
        # reach each other's servers; wandb-core's socket is a file, not a port.
        _own_user_namespace(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWCGROUP)
        _loopback_up()
        _private_tmp(rw, ro)
        _hide_cgroups()
        # Once more: the mounts just made are copied into a namespace with fewer
        # rights, where the kernel locks them, so the snippet can neither
        # unmount the private /tmp (and see the pool's) nor make it writable.
        _own_user_namespace(CLONE_NEWNS)
        first = os.fork()
    except OSError as exc:
        os.write(2, f"marpkit: cannot isolate the snippet: {exc}\n".encode())
        os._exit(70)
    if first:
        code = _wait_for(first, reap_all=False)
        if after is not None:
            try:
                after()
            except BaseException:  # noqa: BLE001 - the parent does it again without it
                pass
        os._exit(code)
    if private is not None:
        os.close(private)
    _die_with_parent()
    snippet = os.fork()
    if snippet:
        os._exit(_wait_for(snippet, reap_all=True))
    _die_with_parent()
    if os.getppid() != 1:
        os._exit(70)  # B died before we asked to die with it


def _probe() -> None:
    enter_pool_namespace()
    mount_quota("/dev/shm/marpkit-probe", 1024**2)
    _own_user_namespace(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWCGROUP)
    _loopback_up()


if __name__ == "__main__" and sys.argv[1:] == ["--probe"]:
    _probe()
