"""The RL environment: episodes of one task on one index, acted on through the agent's tools, rewarded by
scent.eval's metrics (docs/rl.md). Tool calls written as text are read by `scent.rl.toolcalls`; `scent.rl.demos`
makes demonstrations of the agent's runs, `scent.rl.sft` the SFT warm start, `scent.rl.chat` rollouts of a chat
model without training; the TRL adapter is `scent.rl.trl_env`. Trainer libraries are imported lazily."""

from scent.rl.env import Action, Episode, SearchEnv, Step, Task, run_episode
from scent.rl.rewards import COMPONENTS, Cited, Outcome, rewards

__all__ = ["COMPONENTS", "Action", "Cited", "Episode", "Outcome", "SearchEnv", "Step", "Task", "rewards",
           "run_episode"]
