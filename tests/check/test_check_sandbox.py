"""`marpkit check`'s OS sandbox, with real processes: bwrap, namespaces, W&B offline.

Every network probe here targets this machine only: a server on the host's
127.0.0.1 (which a snippet in its own network namespace must not reach) and a
name lookup that must fail inside the sandbox before anything is sent. The
tests that need the sandbox run `--isolation strict`, so they can never
probe from an unsandboxed process.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import LoopbackListener, write
from marpkit.check import sandbox
from marpkit.check.header import parse_size

pytestmark = pytest.mark.integration

needs_sandbox = pytest.mark.skipif(sandbox.unavailable() is not None,
                                   reason=f"no OS sandbox here: {sandbox.unavailable()}")
MARPKIT = str(Path(sys.executable).with_name("marpkit"))


@pytest.fixture
def proj(tmp_path):
    root = tmp_path / "course"
    (root / "slides").mkdir(parents=True)
    (root / "snippets").mkdir()
    (root / "pyproject.toml").write_text("[tool.marpkit]\n")
    return root


def deck(root: Path, *refs: str) -> Path:
    parts = ["---", "marp: true", "---", ""]
    for index, ref in enumerate(refs):
        if index:
            parts += ["---", ""]
        parts += [f"# Slide {index + 1}", "", f"```python snippet={ref}", "```", ""]
    path = root / "slides" / "d.md"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    env.pop("MARPKIT_CHECK_ISOLATION", None)
    env.pop("CI", None)  # CI=true would make auto strict (a test of its own)
    tmp = tmp_path / "host-tmp"  # so "no temp folder left" is about this check only
    tmp.mkdir(exist_ok=True)
    env["TMPDIR"] = str(tmp)
    env.update(extra)
    return env


def run_check(root: Path, tmp_path: Path, *args: str, **env: str):
    proc = subprocess.run([MARPKIT, "check", "--format", "json", "-j", "2", *args], cwd=root,
                          env=env_for(tmp_path, **env), capture_output=True, text=True,
                          timeout=300)
    report = json.loads(proc.stdout) if proc.stdout.startswith("{") else None
    return proc, report


def by_snippet(report: dict) -> dict:
    return {s["snippet"]: s for s in report["snippets"]}


def messages(entry: dict) -> list[str]:
    return [f"{f['code']} {f['message']}" for f in entry["findings"]]


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(".marpkit-cache"):
            continue
        digest.update(rel.encode())
        if path.is_file() and not path.is_symlink():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def alive_with(tag: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if tag.encode() in cmdline:
                found.append(entry.name)
    return found


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


@needs_sandbox
def test_snippets_cannot_reach_out_escape_read_secrets_or_write(proj, tmp_path):
    """One strict check, one snippet per promise; each fails (or passes) for its own reason."""
    server = LoopbackListener()
    tag = f"marpkit-escapee-{uuid.uuid4().hex}"
    marker = tmp_path / "escapee-marker"
    repo = str(proj)
    write(proj / "snippets" / "net" / "connect.py", f"""
        import socket
        socket.create_connection(("127.0.0.1", {server.port}), timeout=3)
    """)
    write(proj / "snippets" / "net" / "dns.py", """
        import socket
        socket.getaddrinfo("wandb.ai", 443)
    """)
    write(proj / "snippets" / "escape" / "spawn.py", f"""
        import os, subprocess, sys
        # setsid + double fork: the grandchild is in no group or session of ours.
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                subprocess.Popen([sys.executable, "-c",
                                  "import signal, time, sys; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
                                  "signal.signal(signal.SIGHUP, signal.SIG_IGN); time.sleep(3);"
                                  "open(sys.argv[1], 'w').write('escaped')",
                                  {str(marker)!r}, {tag!r}], start_new_session=True)
            os._exit(0)
        os.wait()
        print("spawned")
    """)
    write(proj / "snippets" / "env" / "secrets.py", f"""
        import glob, os
        assert "GITHUB_TOKEN" not in os.environ and "AWS_SECRET_ACCESS_KEY" not in os.environ
        for name in ("PWD", "OLDPWD"):
            assert {repo!r} not in os.environ.get(name, ""), (name, os.environ.get(name))
        assert {repo!r} not in os.getcwd()
        for path in glob.glob("/proc/*/environ"):  # no process it can see holds the secret
            try:
                data = open(path, "rb").read()
            except OSError:
                continue
            assert b"s3cr3t-value" not in data, path
    """)
    write(proj / "snippets" / "fs" / "write.py", f"""
        import os
        for target in ({repo + "/slides/evil.md"!r}, {repo + "/snippets/fs/write.py"!r},
                       {repo + "/pyproject.toml"!r}):
            try:
                with open(target, "a") as fh:
                    fh.write("overwritten")
            except OSError as exc:
                print("refused", target, exc.errno)
            else:
                raise SystemExit(f"wrote {{target}}")
        try:
            os.remove({repo + "/pyproject.toml"!r})
        except OSError:
            pass
        else:
            raise SystemExit("deleted pyproject.toml")
        try:
            open("/tmp/loose", "w").write("shared")  # the system's /tmp is not its TMPDIR
        except OSError:
            pass
        else:
            raise SystemExit("wrote /tmp/loose")
        open(os.path.expanduser("~/mine"), "w").write("its own HOME is writable")
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        # Full rights in its own user namespace, none over the mounts it was given:
        if libc.umount2(b"/tmp", 2) == 0:  # MNT_DETACH: would reveal the pool's /tmp
            raise SystemExit("unmounted /tmp")
        if libc.mount(None, b"/tmp", None, 32, None) == 0:  # MS_REMOUNT, read-write
            raise SystemExit("made /tmp writable")
        quota = os.path.dirname(os.getcwd()).encode()
        if libc.mount(None, quota, None, 32, b"size=8g") == 0:
            raise SystemExit("raised its own quota")
        here = os.path.dirname(os.getcwd())  # its own folder; the pool's and others' are hidden
        others = set(os.listdir(os.path.dirname(here))) - {{
            os.path.basename(here), os.path.basename(here) + ".out", "service"}}
        if others:
            raise SystemExit(f"sees {{sorted(others)}}")
    """)
    write(proj / "snippets" / "disk" / "big.py", """
        import os
        block = b"0" * (1024 * 1024)
        for n in range(5):
            with open(f"part{n}.bin", "wb") as fh:
                for _ in range(205):
                    fh.write(block)
    """)
    write(proj / "snippets" / "disk" / "small" / "many.py", """
        import os
        os.makedirs("out", exist_ok=True)
        for n in range(1000):
            with open(f"out/{n}.txt", "wb") as fh:
                fh.write(b"x" * 4096)
        print(len(os.listdir("out")))
    """)
    deck(proj, "net/connect.py", "net/dns.py", "escape/spawn.py", "env/secrets.py",
         "fs/write.py", "disk/big.py", "disk/small/many.py")
    before = tree_digest(proj)
    started = time.monotonic()
    try:
        proc, report = run_check(proj, tmp_path, "--isolation", "strict",
                                 GITHUB_TOKEN="s3cr3t-value", AWS_SECRET_ACCESS_KEY="s3cr3t-value")
    finally:
        server.close()
    assert report is not None, proc.stderr
    snippets_ = by_snippet(report)

    assert server.connections == 0
    [connect] = messages(snippets_["net/connect.py"])
    assert connect.startswith("MK301") and "ConnectionRefusedError" in connect, connect
    [dns] = messages(snippets_["net/dns.py"])
    assert dns.startswith("MK301") and "gaierror" in dns, dns

    assert snippets_["escape/spawn.py"]["status"] == "passed", snippets_["escape/spawn.py"]
    assert alive_with(tag) == []  # gone once its result was in
    time.sleep(max(0.0, started + 4 - time.monotonic()) + 0.5)
    assert not marker.exists() and alive_with(tag) == []

    assert snippets_["env/secrets.py"]["status"] == "passed", snippets_["env/secrets.py"]
    assert snippets_["fs/write.py"]["status"] == "passed", snippets_["fs/write.py"]
    assert tree_digest(proj) == before

    [big] = messages(snippets_["disk/big.py"])
    assert big.startswith("MK303") and "disk quota of 256 MiB" in big and "disk:" in big, big
    assert snippets_["disk/small/many.py"]["status"] == "passed", snippets_["disk/small/many.py"]
    assert proc.returncode == 1
    assert os.listdir(tmp_path / "host-tmp") == []  # nothing of a sandboxed check on the host


@needs_sandbox
def test_snippets_running_side_by_side_have_their_own_loopback(proj, tmp_path):
    port = 47000 + os.getpid() % 1000
    write(proj / "snippets" / "a" / "serve.py", f"""
        import socket, time
        server = socket.socket()
        server.bind(("127.0.0.1", {port}))
        server.listen()
        mine = socket.create_connection(("127.0.0.1", {port}), timeout=2)  # its own: fine
        time.sleep(4)
    """)
    write(proj / "snippets" / "b" / "reach.py", f"""
        import socket, time
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=1)
            except OSError:
                time.sleep(0.05)
            else:
                raise SystemExit("reached the other snippet's server")
    """)
    deck(proj, "a/serve.py", "b/reach.py")
    proc, report = run_check(proj, tmp_path, "--isolation", "strict")
    assert {s["snippet"]: s["status"] for s in report["snippets"]} == {
        "a/serve.py": "passed", "b/reach.py": "passed"}, report


@needs_sandbox
def test_disk_header_raises_the_quota_and_a_big_folder_is_refused_with_its_size(proj, tmp_path):
    write(proj / "snippets" / "roomy" / "big.py", """
        # /// marpkit
        # disk: 400 MiB
        # ///
        with open("blob.bin", "wb") as fh:
            fh.write(b"0" * (300 * 1024 * 1024))
    """)
    write(proj / "snippets" / "heavy" / "tiny.py", """
        # /// marpkit
        # disk: 1 MiB
        # ///
        print("never runs")
    """)
    (proj / "snippets" / "heavy" / "data.bin").write_bytes(b"1" * 3 * 1024 * 1024)
    deck(proj, "roomy/big.py", "heavy/tiny.py")
    proc, report = run_check(proj, tmp_path, "--isolation", "strict")
    snippets_ = by_snippet(report)
    assert snippets_["roomy/big.py"]["status"] == "passed", snippets_["roomy/big.py"]
    [tiny] = messages(snippets_["heavy/tiny.py"])
    assert tiny.startswith("MK303") and "quota of 1 MiB" in tiny and "(3 MiB)" in tiny, tiny


@needs_sandbox
def test_sigkill_of_check_leaves_no_process_and_no_temp_folder(proj, tmp_path):
    tag = f"marpkit-hang-{uuid.uuid4().hex}"
    write(proj / "snippets" / "hang.py", f"""
        import subprocess, sys, time
        import wandb
        run = wandb.init(project="demo")
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", {tag!r}],
                         start_new_session=True)
        time.sleep(600)
    """)
    deck(proj, "hang.py")
    proc = subprocess.Popen([MARPKIT, "check", "--no-cache", "--isolation", "strict"], cwd=proj,
                            env=env_for(tmp_path), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not alive_with(tag):
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the snippet never started")
        time.sleep(0.1)
    family = descendants(proc.pid)
    assert len(family) >= 4  # bwrap, the pool, wandb-core, the snippet and its child
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(2)
    left = [pid for pid in family if Path(f"/proc/{pid}").exists()
            and "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]]
    assert left == [] and alive_with(tag) == []
    assert os.listdir(tmp_path / "host-tmp") == []


def test_check_of_a_file_outside_the_project_is_refused_at_once(proj, tmp_path):
    outside = write(tmp_path / "elsewhere" / "loose.py", "print('never')\n")
    write(tmp_path / "elsewhere" / "deck.md", "---\nmarp: true\n---\n\n# Loose\n")
    for arg in (str(outside), str(tmp_path / "elsewhere" / "deck.md"), "../elsewhere/loose.py",
                "pyproject.toml"):
        started = time.monotonic()
        proc = subprocess.run([MARPKIT, "check", arg], cwd=proj, env=env_for(tmp_path),
                              capture_output=True, text=True, timeout=60)
        assert time.monotonic() - started < 1.0 + _startup()
        assert proc.returncode == 2, (arg, proc.stdout, proc.stderr)
        assert "not in snippets/" in proc.stderr or "outside this project" in proc.stderr
        assert "Traceback" not in proc.stderr
    assert os.listdir(tmp_path / "host-tmp") == []


def _startup() -> float:
    """marpkit's own start on this (shared, possibly loaded) machine: refusing
    the path must add less than a second to it (no copy, no pool, no wandb)."""
    started = time.monotonic()
    subprocess.run([MARPKIT, "--help"], check=True, capture_output=True)
    return time.monotonic() - started


def test_a_symlink_leaving_snippets_is_mk312_and_never_run(proj, tmp_path):
    marker = tmp_path / "ran"
    target = write(tmp_path / "outside.py", f"open({str(marker)!r}, 'w').write('ran')\n")
    (proj / "snippets" / "link.py").symlink_to(target)
    deck(proj, "link.py")
    proc, report = run_check(proj, tmp_path, "--isolation", "basic")
    assert [f["code"] for f in report["findings"]] == ["MK312"], report
    proc, report = run_check(proj, tmp_path, "--isolation", "basic", "snippets/link.py")
    assert proc.returncode == 1
    assert [f["code"] for f in report["findings"]] == ["MK312"], report
    assert report["snippets"] == []
    assert not marker.exists()


KILLER = """
    import os, signal, time
    os.kill(os.getppid(), signal.SIGKILL)  # the pool, where it can see it
    time.sleep(2)
    raise SystemExit(3)
"""
OK = """
    import wandb
    run = wandb.init(project="demo", config={"n": 1})
    run.log({"loss": 0.5})
    run.finish()
"""


@pytest.mark.parametrize("isolation", [
    pytest.param("strict", marks=needs_sandbox),
    "basic",
])
def test_a_snippet_that_kills_the_pool_fails_alone(proj, tmp_path, isolation):
    write(proj / "snippets" / "a" / "ok.py", OK)
    write(proj / "snippets" / "b" / "killer.py", KILLER)
    write(proj / "snippets" / "c" / "ok.py", OK)
    write(proj / "snippets" / "d" / "ok.py", OK)
    deck(proj, "a/ok.py", "b/killer.py", "c/ok.py", "d/ok.py")
    proc, report = run_check(proj, tmp_path, "--isolation", isolation, "--no-cache")
    assert report is not None, proc.stderr
    statuses = {k: v["status"] for k, v in by_snippet(report).items()}
    assert statuses == {"a/ok.py": "passed", "b/killer.py": "failed", "c/ok.py": "passed",
                        "d/ok.py": "passed"}, report
    assert proc.returncode == 1


ONLINE = """
    import wandb
    run = wandb.init(project="demo", mode="online")
    run.finish()
"""
ONLINE_KEY = """
    import os
    import wandb
    os.environ["WANDB_API_KEY"] = "a" * 40
    run = wandb.init(project="demo", mode="online")
    run.finish()
"""


@pytest.mark.parametrize("isolation", [
    pytest.param("strict", marks=needs_sandbox),
    "basic",
])
def test_error_texts_are_the_same_on_every_run(proj, tmp_path, isolation):
    write(proj / "snippets" / "online.py", ONLINE)
    write(proj / "snippets" / "online_key.py", ONLINE_KEY)
    deck(proj, "online.py", "online_key.py")
    texts = []
    for _ in range(2):
        started = time.monotonic()
        proc, report = run_check(proj, tmp_path, "--isolation", isolation, "--no-cache")
        assert time.monotonic() - started < 30
        texts.append({k: messages(v) for k, v in by_snippet(report).items()})
    assert texts[0] == texts[1]
    assert "connection refused" in " ".join(texts[0]["online_key.py"]).lower(), texts[0]
    assert "<closed-port>" in " ".join(texts[0]["online_key.py"]), texts[0]


def test_strict_without_a_sandbox_is_exit_2_and_auto_says_so_once(proj, tmp_path):
    write(proj / "snippets" / "ok.py", "print('hello')\n")
    write(proj / "snippets" / "two.py", "print('again')\n")
    deck(proj, "ok.py", "two.py")
    no_bwrap = tmp_path / "bin"
    no_bwrap.mkdir()
    (no_bwrap / "bash").symlink_to("/bin/bash")
    proc, report = run_check(proj, tmp_path, "--isolation", "strict", PATH=str(no_bwrap))
    assert proc.returncode == 2 and report is None
    assert "bubblewrap (bwrap) is not installed" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    proc, report = run_check(proj, tmp_path, PATH=str(no_bwrap),
                             MARPKIT_CHECK_ISOLATION="strict")
    assert proc.returncode == 2
    proc, report = run_check(proj, tmp_path, "--no-cache", PATH=str(no_bwrap))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("no network, PID or filesystem isolation") == 1, proc.stderr
    assert {s["status"] for s in report["snippets"]} == {"passed"}


def path_with_bwrap(tmp_path: Path, script: str) -> Path:
    """A PATH folder holding bash and a `bwrap` that is this shell script."""
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "bash").symlink_to("/bin/bash")
    write(folder / "bwrap", "#!/bin/sh\n" + script).chmod(0o755)
    return folder


def test_a_bwrap_that_cannot_make_namespaces_is_caught_by_the_probe_beside_the_warm_pool(
        proj, tmp_path):
    """With --no-cache the pool starts in the sandbox while the probe runs; a
    bwrap that fails (user namespaces off) ends that pool and decides as a
    probe before it did: strict is exit 2 with bwrap's reason, auto warns once
    and runs the snippets with basic isolation."""
    write(proj / "snippets" / "ok.py", "print('hello')\n")
    deck(proj, "ok.py")
    broken = path_with_bwrap(tmp_path, "echo 'bwrap: setting up uid map: Permission denied' >&2\n"
                                       "exit 1\n")
    proc, report = run_check(proj, tmp_path, "--no-cache", "--isolation", "strict",
                             PATH=str(broken))
    assert proc.returncode == 2 and report is None, proc.stderr
    assert "user namespaces are not available (bwrap: setting up uid map: Permission denied)" \
        in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    proc, report = run_check(proj, tmp_path, "--no-cache", PATH=str(broken))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("no network, PID or filesystem isolation") == 1, proc.stderr
    assert [s["status"] for s in report["snippets"]] == ["passed"]


def test_a_sandbox_that_passes_the_probe_but_will_not_hold_the_pool_is_one_line_exit_2(
        proj, tmp_path):
    """Warm (--no-cache) or started for the first snippet the cache lacks: the
    pool's sandbox failing to start is said in one line, with no traceback."""
    write(proj / "snippets" / "ok.py", "print('hello')\n")
    deck(proj, "ok.py")
    picky = path_with_bwrap(tmp_path, "case \"$*\" in *marpkit.check.pool*) exit 1;; esac\n"
                                      f"exec {shutil.which('bwrap')} \"$@\"\n")
    for args in (("--no-cache",), ()):
        proc, report = run_check(proj, tmp_path, *args, "--isolation", "strict", PATH=str(picky))
        assert proc.returncode == 2 and report is None, proc.stderr
        assert "the sandbox did not start" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr


def test_sizes_and_the_pool_command():
    assert parse_size("512 MiB") == 512 * 1024**2
    assert parse_size("2GiB") == 2 * 1024**3
    assert parse_size(300) == 300 * 1024**2
    assert parse_size("lots") is None and parse_size(True) is None and parse_size(0) is None
    cmd = sandbox.pool_command(["python", "-m", "x"], {"PATH": "/usr/bin"},
                               [sys.prefix, "/nonexistent-for-marpkit", "/tmp", "/"], 9,
                               ["/sys/fs/cgroup/pids/marpkit-check-1"])
    text = " ".join(cmd)
    for flag in ("--unshare-user", "--unshare-pid", "--unshare-net", "--die-with-parent",
                 "--new-session", "--clearenv", "--tmpfs /tmp", f"--ro-bind {sys.prefix} ",
                 "--bind /sys/fs/cgroup/pids/marpkit-check-1 /sys/fs/cgroup/pids/marpkit-check-1"):
        assert flag in text
    # Only what a snippet needs: not the host's /, /etc, HOME or /var; never /tmp itself.
    binds = {cmd[i + 1] for i, arg in enumerate(cmd) if arg in ("--ro-bind", "--bind")}
    assert not binds & {"/", "/etc", "/tmp", "/var", os.path.expanduser("~")}, binds
    assert "/nonexistent-for-marpkit" not in text and "--unshare-cgroup" not in text
    assert "/etc/shadow" not in text and "/etc/passwd" not in text
    assert cmd[-4:] == ["--", "python", "-m", "x"]


def test_disk_header_and_the_environment_allow_list(tmp_path):
    from marpkit.check.env import child_env, sandbox_dirs
    from marpkit.check.header import HeaderError, parse_header

    assert parse_header("# /// marpkit\n# disk: 2 GiB\n# ///\n").disk == 2 * 1024**3
    with pytest.raises(HeaderError, match="disk must be a size"):
        parse_header("# /// marpkit\n# disk: lots\n# ///\n")
    env = child_env({"PATH": "/usr/bin", "LC_ALL": "C.UTF-8", "TZ": "UTC",
                     "GITHUB_TOKEN": "t", "AWS_SECRET_ACCESS_KEY": "k", "HTTPS_PROXY": "p",
                     "WANDB_API_KEY": "w", "OLDPWD": "/repo", "PWD": "/repo",
                     "PYTHONSTARTUP": "x.py"},
                    sandbox_dirs(tmp_path), "http://127.0.0.1:9")
    # PATH is inherited, behind the running installation's bin/ (a venv not activated).
    assert env["PATH"] == os.pathsep.join([os.path.dirname(os.path.abspath(sys.executable)),
                                           "/usr/bin"])
    assert env["LC_ALL"] == "C.UTF-8" and env["TZ"] == "UTC"
    for name in ("GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "HTTPS_PROXY", "WANDB_API_KEY",
                 "OLDPWD", "PYTHONSTARTUP"):
        assert name not in env
    assert env["PWD"] == str(tmp_path / "work")


@needs_sandbox
def test_tmp_itself_on_sys_path_still_checks(proj, tmp_path):
    """A script run from /tmp puts /tmp itself on sys.path: the sandbox must still
    give the pool a private /tmp (it once bound the host's read-only and every
    snippet failed with "pool exited")."""
    write(proj / "snippets" / "m" / "ok.py", "print('fine')\n")
    deck(proj, "m/ok.py")
    script = ("import sys\nsys.path.insert(0, '/tmp')\nfrom marpkit.cli import main\n"
              "main(['check', '--format', 'json', '--isolation', 'strict'])\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=proj, env=env_for(tmp_path),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["snippets"][0]["status"] == "passed"


# ----- limits that hold (issue #19) ----------------------------------------------------

def _cgroups_here() -> bool:
    from marpkit.check.limits import Cgroups

    cgroups, _why = Cgroups.create()
    if cgroups is None:
        return False
    cgroups.close()
    return True


# MK303 naming the limit comes from the cgroup's counters; without a cgroup the
# fallback rlimits give the snippet the kernel's error (and root is exempt from
# RLIMIT_NPROC): see docs/check.md, Limits.
needs_snippet_limits = pytest.mark.skipif(
    sandbox.unavailable() is not None or not _cgroups_here(),
    reason="no per-snippet cgroup here: no sandbox, or no writable cgroup")


@needs_snippet_limits
def test_a_fork_bomb_is_stopped_by_the_process_limit(proj, tmp_path):
    # Children sleep, then exit by themselves; the PID namespace ends them sooner.
    write(proj / "snippets" / "bomb" / "fork.py", """
        # /// marpkit
        # timeout: 120
        # ///
        import os, time
        for n in range(2000):
            if os.fork() == 0:
                time.sleep(30)
                os._exit(0)
        print("forked 2000")
    """)
    deck(proj, "bomb/fork.py")
    proc, report = run_check(proj, tmp_path, "--isolation", "strict", "--no-cache")
    assert report is not None, proc.stderr
    [found] = messages(by_snippet(report)["bomb/fork.py"])
    assert found.startswith("MK303") and "process limit (512 processes" in found, found
    assert "header `processes:`" in found and "ceiling of 4096" in found, found
    assert proc.returncode == 1


@needs_snippet_limits
def test_memory_over_the_limit_is_mk303_naming_the_memory_limit(proj, tmp_path):
    # Pages touched 64 MiB at a time; should the limit not hold, the snippet gives up
    # at 3 GiB (well under what this machine has) instead of reaching 9 GiB.
    write(proj / "snippets" / "greedy" / "alloc.py", """
        step = 64 * 1024 * 1024
        held = []
        for n in range(9 * 1024 // 64):
            if (n + 1) * step > 3 * 1024**3:
                raise SystemExit("the memory limit did not hold at 3 GiB")
            block = bytearray(step)
            block[::4096] = b"\\1" * (step // 4096)
            held.append(block)
        print("allocated 9 GiB")
    """)
    deck(proj, "greedy/alloc.py")
    proc, report = run_check(proj, tmp_path, "--isolation", "strict", "--no-cache")
    assert report is not None, proc.stderr
    [found] = messages(by_snippet(report)["greedy/alloc.py"])
    assert found.startswith("MK303") and "memory limit (2 GiB" in found, found
    assert "header `memory:`" in found and "ceiling of 8 GiB" in found, found


def test_limits_above_the_ceiling_are_refused_naming_it(proj, tmp_path):
    write(proj / "snippets" / "huge" / "disk.py", """
        # /// marpkit
        # disk: 100000 GiB
        # ///
        print("never runs")
    """)
    write(proj / "snippets" / "huge" / "memory.py", """
        # /// marpkit
        # memory: 3 GiB
        # ///
        print("never runs")
    """)
    write(proj / "snippets" / "huge" / "procs.py", """
        # /// marpkit
        # processes: 100
        # ///
        print("fine: under the ceiling")
    """)
    (proj / "pyproject.toml").write_text('[tool.marpkit.check]\nmax_memory = "2 GiB"\n'
                                         'max_processes = 200\n')
    deck(proj, "huge/disk.py", "huge/memory.py", "huge/procs.py")
    proc, report = run_check(proj, tmp_path, "--isolation", "basic")
    assert proc.returncode == 2, proc.stderr
    found = by_snippet(report)
    [disk] = messages(found["huge/disk.py"])
    assert disk.startswith("MK306") and "disk: 100000 GiB is above the project's ceiling " \
        "of 4 GiB (`max_disk` in [tool.marpkit.check]" in disk, disk
    [memory] = messages(found["huge/memory.py"])
    assert "memory: 3 GiB is above the project's ceiling of 2 GiB (`max_memory`" in memory
    assert found["huge/procs.py"]["status"] == "passed", found["huge/procs.py"]


def test_ceilings_in_pyproject_are_validated(proj, tmp_path):
    for text, expected in (('max_memory = "lots"', "max_memory must be a size"),
                           ("max_processes = 0", "max_processes must be a positive whole"),
                           ("max_dsk = 1", "did you mean 'max_disk'")):
        (proj / "pyproject.toml").write_text(f"[tool.marpkit.check]\n{text}\n")
        proc, report = run_check(proj, tmp_path, "--isolation", "basic")
        assert proc.returncode == 2 and report is None
        assert "pyproject.toml" in proc.stderr and expected in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


@needs_sandbox
def test_the_host_outside_python_and_the_project_is_not_there(proj, tmp_path):
    import tempfile

    outside = Path(tempfile.mkdtemp(prefix="marpkit-outside-", dir="/var/tmp"))
    try:
        (outside / "secret.txt").write_text("s3cr3t")
        write(proj / "snippets" / "peek" / "read.py", f"""
            import os, subprocess
            for path in ("/etc/shadow", {str(outside / "secret.txt")!r}, {str(outside)!r}):
                if os.path.exists(path):
                    raise SystemExit(f"sees {{path}}")
            print(open("data.txt").read())  # what it reads of the project
            import ssl, json
            ssl.create_default_context()
            # bash and coreutils, for `run: true` shell snippets
            print(subprocess.run(["bash", "-c", "ls / | sort | head -1"], capture_output=True,
                                 text=True, check=True).stdout)
        """)
        (proj / "snippets" / "peek" / "data.txt").write_text("project data")
        write(proj / "snippets" / "peek" / "cat.sh", f"""
            # /// marpkit
            # run: true
            # ///
            set -e
            test ! -e /etc/shadow
            test ! -e {outside}
            echo "$(wc -c < /etc/hosts) bytes of hosts"
        """)
        parts = ["---", "marp: true", "---", "", "# Read", "", "```python snippet=peek/read.py",
                 "```", "", "---", "", "# Shell", "", "```bash snippet=peek/cat.sh", "```", ""]
        (proj / "slides" / "d.md").write_text("\n".join(parts))
        proc, report = run_check(proj, tmp_path, "--isolation", "strict", "--no-cache")
        assert report is not None, proc.stderr
        statuses = {k: v["status"] for k, v in by_snippet(report).items()}
        assert statuses == {"peek/read.py": "passed", "peek/cat.sh": "passed"}, report
    finally:
        import shutil

        shutil.rmtree(outside, ignore_errors=True)


def test_basic_isolation_says_once_what_it_does_not_protect(proj, tmp_path):
    write(proj / "snippets" / "ok.py", "print('hello')\n")
    write(proj / "snippets" / "two.py", "print('again')\n")
    deck(proj, "ok.py", "two.py")
    proc, report = run_check(proj, tmp_path, "--isolation", "basic", "--no-cache")
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if "not sandboxed" in line]
    assert len(lines) == 1, proc.stderr
    for promise in ("read every file", "slides/, snippets/, pyproject.toml", "network",
                    "setsid"):
        assert promise in lines[0], lines[0]


def test_ci_makes_auto_strict(proj, tmp_path):
    write(proj / "snippets" / "ok.py", "print('hello')\n")
    deck(proj, "ok.py")
    no_bwrap = tmp_path / "bin"
    no_bwrap.mkdir()
    (no_bwrap / "bash").symlink_to("/bin/bash")
    proc, report = run_check(proj, tmp_path, "--no-cache", PATH=str(no_bwrap), CI="true")
    assert proc.returncode == 2 and report is None, proc.stdout + proc.stderr
    assert "CI=true makes auto strict" in proc.stderr and "bwrap" in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    proc, report = run_check(proj, tmp_path, "--no-cache", "--isolation", "basic",
                             PATH=str(no_bwrap), CI="true")
    assert proc.returncode == 0, proc.stderr  # asked for outright: still allowed, and said


@pytest.mark.skipif(not _cgroups_here(), reason="no writable cgroup here")
def test_basic_isolation_with_a_cgroup_still_ends_setsid_daemons(proj, tmp_path):
    tag = f"marpkit-daemon-{uuid.uuid4().hex}"
    write(proj / "snippets" / "d" / "daemon.py", f"""
        import subprocess, sys
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", {tag!r}],
                         start_new_session=True)
        print("started")
    """)
    deck(proj, "d/daemon.py")
    try:
        proc, report = run_check(proj, tmp_path, "--isolation", "basic", "--no-cache")
        assert by_snippet(report)["d/daemon.py"]["status"] == "passed", report
        assert alive_with(tag) == []  # killed with its cgroup once its result was in
    finally:
        for pid in alive_with(tag):
            os.kill(int(pid), signal.SIGKILL)


# Runs `marpkit check` with leet out of the parent's reach: any run it reads
# itself raises, so what the report holds was read elsewhere.
NO_PARENT_LEET = """
import sys
from marpkit.check import run_files

def refuse(*args, **kwargs):
    raise RuntimeError("the parent read a run file")

run_files._records_leet = refuse
run_files._records_python = refuse
from marpkit.cli import main
sys.exit(main(sys.argv[1:]))
"""


@needs_sandbox
@pytest.mark.parametrize("isolation", ["strict", "basic"])
def test_in_the_sandbox_runs_are_read_where_the_snippet_ran(proj, tmp_path, isolation):
    """In the OS sandbox the job's first process reads the runs (wandb's protobuf
    classes, imported once in the pool) when the snippet is gone; the parent
    reads none itself. With basic isolation it still does: the control."""
    write(proj / "snippets" / "r.py",
          "import wandb\n"
          "run = wandb.init(project='p', config={'lr': 0.1})\n"
          "for step in range(3):\n"
          "    run.log({'loss': 1.0 / (step + 1)})\n"
          "run.finish()\n")
    deck(proj, "r.py")
    proc = subprocess.run([sys.executable, "-c", NO_PARENT_LEET, "check", "--no-cache",
                           "--format", "json", "--isolation", isolation], cwd=proj,
                          env=env_for(tmp_path), capture_output=True, text=True, timeout=300)
    if isolation == "basic":
        assert "the parent read a run file" in proc.stdout + proc.stderr
        return
    assert proc.returncode == 0, proc.stderr
    (entry,) = json.loads(proc.stdout)["snippets"]
    (run,) = entry["runs"]
    assert run["config_keys"] == ["lr"] and run["steps"] == 3
    assert run["history"]["loss"]["values"] == [1.0, 0.5, 1 / 3]


@pytest.mark.parametrize("isolation", ["strict", "basic"])
def test_fifos_left_where_runs_are_read_do_not_hang_the_check(proj, tmp_path, isolation):
    """A run folder whose run file and console log are FIFOs: nothing waits on
    them (it hung the check, past its own timeout and SIGTERM); the snippet passes."""
    if isolation == "strict" and sandbox.unavailable() is not None:
        pytest.skip(f"no OS sandbox here: {sandbox.unavailable()}")
    write(proj / "snippets" / "f.py",
          "import os\n"
          "run = os.path.join(os.environ['WANDB_DIR'], 'wandb', 'offline-run-20260101_000000-fifofifo')\n"
          "os.makedirs(os.path.join(run, 'files'))\n"
          "os.mkfifo(os.path.join(run, 'run-fifofifo.wandb'))\n"
          "os.mkfifo(os.path.join(run, 'files', 'output.log'))\n"
          "other = os.path.join(os.environ['WANDB_DIR'], 'wandb', 'offline-run-20260101_000001-realfile')\n"
          "os.makedirs(os.path.join(other, 'files'))\n"
          "open(os.path.join(other, 'run-realfile.wandb'), 'wb').close()\n"
          "os.mkfifo(os.path.join(other, 'files', 'output.log'))\n")
    deck(proj, "f.py")
    proc, report = run_check(proj, tmp_path, "--no-cache", "--isolation", isolation)
    assert proc.returncode == 0, proc.stderr
    (entry,) = report["snippets"]
    assert entry["status"] == "passed"
