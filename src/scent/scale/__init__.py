"""Ray workers for the work that parallelizes (`--ray`, docs/scale-out.md): embedding batches, `scent eval`
questions, and any list of independent tasks a caller hands to `ray_pool.ordered_map` (synthesis tasks, RL
rollouts). Results come back in input order, so a run over Ray writes what the sequential run writes; a task
whose worker dies is run again (`RayConfig.max_retries`). Nothing here imports Ray until a function is called,
and nothing else in scent imports this package unless `--ray` is given."""
