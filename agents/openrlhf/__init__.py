"""AZR self-play with TRR++ on OpenRLHF (multi-GPU): an extension of the released `openrlhf` package, not a fork.

Pieces (docs/openrlhf.md explains how they map onto OpenRLHF's Ray actors):

- `labels`: the JSON label each prompt carries to the vLLM engines (role, task type, task or references)
  and the (role, task type) group ids TRR++ whitens by. Pure Python.
- `bridge`: runs `Referee` checks inside an engine's event loop with execution through `Executor.arun`.
- `agent` / `agent_func`: the OpenRLHF agent (`AgentInstance` + `AgentExecutor`) for `--train.agent_func_path`.
- `estimator`: TRR++ as the advantage estimator `trr++` of OpenRLHF's experience maker.
- `selfplay`: one AZR step (propose, validate, learnability rollouts, solve) over any rollout function.
- `trainer` / `entry`: the Ray trainer actor and `python -m azr_agents.openrlhf.entry`, OpenRLHF's own
  `train_ppo_ray` with the `trr++` choice, `--azr.*` options and the AZR trainer plugged in.
- `presets`: launch presets (1-8 GPUs, multi-node) and the command lines `azr train-openrlhf` prints.

Only `labels`, `bridge`, `presets` and `options` import without OpenRLHF installed.
"""
