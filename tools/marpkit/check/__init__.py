"""`marpkit check`: execute every snippet the decks show and prove what the slides claim.

Modules: `plan` (decks -> snippet tasks), `header` (per-snippet options),
`env` (the snippet's folder and environment), `sandbox` (the OS sandbox),
`limits` (processes, memory, disk: defaults, ceilings, cgroups),
`pool` (warm fork pool) / `runner` (the child), `runs`
(reading offline runs), `claims` + `evaluate` (verdicts placed on slide lines),
`cache`, `outputs` (stdout for `output=` fences), `report`, `command` (CLI).
The user documentation is docs/check.md.
"""
