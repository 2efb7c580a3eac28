"""`marpkit check`: execute every snippet the decks show and prove what the slides claim.

Modules: `plan` (decks -> snippet tasks), `header` (per-snippet options),
`env` + `sandbox` (each snippet's folder, environment and OS sandbox),
`limits` (processes, memory, disk: defaults, ceilings, cgroups),
`executor` (the parent's side: jobs into the pool, finished jobs into
Executions), `pool` (the warm fork pool), `child` (what runs in the snippet's
own process), `record` + `line_coverage` (what the child observes: W&B calls,
lines that ran), `descendants` (the same in every Python process the
snippet starts, merged), `run_files` (reading the `.wandb` files of offline runs),
`claims` + `evaluate` (findings placed on slide lines), `cache`,
`output_fences` (checked stdout for `output=` fences: the seam to sync and
build), `pipeline` (plan, run, verdicts), `report`. The click command is
commands/check.py.
The user documentation is docs/check.md.
"""
