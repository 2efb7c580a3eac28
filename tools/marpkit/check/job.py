"""One snippet's job: what the parent (executor.py) tells the pool (pool.py) and
the child (child.py) to run, and where the child leaves what it found.

It crosses a process boundary as JSON (a line of the pool's protocol, or the
JOB.json file of a fresh interpreter): `to_json` on the parent's side,
`from_json` on the other. Paths are as the pool sees them; in the OS sandbox the
parent reaches them through the pool's root (`Executor._host`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

# The files the child writes in `out`.
STDOUT = "stdout.txt"
STDERR = "stderr.txt"
RESULT = "result.json"
# Written by the job's first process in the OS sandbox (run_files.write_runs).
RUNS = "runs.json"
# The most of a JSON report a job leaves that is read back; all of them are
# read with fsutil.read_input, as the snippet could leave a FIFO in their place.
REPORT_LIMIT = 64 * 1024**2


@dataclass
class Job:
    id: str
    kind: str  # "python" | "shell"
    source: str  # the snippet's folder in the project, copied into `root` by the child
    root: str  # the snippet's own folder (its working copy, HOME, TMPDIR, wandb dirs)
    out: str  # what the child reports: STDOUT, STDERR, RESULT (and RUNS)
    script: str  # the snippet's working copy
    cwd: str
    env: dict[str, str]
    timeout: float  # seconds
    disk: int  # bytes the snippet may write, its folder's copy included
    memory: int  # RLIMIT_AS (the cgroup holds the real memory limit)
    output: int  # RLIMIT_FSIZE
    processes: int | None = None  # the snippet's process limit (limits.py)
    # The snippet's own cgroup folders to join before anything runs; none: rlimits only.
    cgroups: list[str] = field(default_factory=list)
    # Set in the pool's child: RLIMIT_NPROC when no cgroup caps processes and
    # a user namespace of its own makes that count per snippet.
    nproc: int | None = None
    # Folders of the pool the snippet sees in the OS sandbox (wandb-core's socket).
    visible: list[str] = field(default_factory=list)
    alone: bool = False  # nothing runs beside it (a retry after the pool died)
    record: bool = True  # W&B calls recorded (record.py, descendants.py)
    coverage: bool = True  # lines run measured (line_coverage.py)

    @property
    def stdout(self) -> str:
        return str(Path(self.out, STDOUT))

    @property
    def stderr(self) -> str:
        return str(Path(self.out, STDERR))

    @property
    def result(self) -> str:
        return str(Path(self.out, RESULT))

    @property
    def runs(self) -> str:
        return str(Path(self.out, RUNS))

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Job:
        return cls(**data)
