"""The RL environment: episodes of one task on one index, acted on through the agent's tools, rewarded by
scent.eval's metrics (docs/rl.md). Trainer adapters (`scent.rl.trl`) import their libraries lazily."""

from scent.rl.env import Action, Episode, SearchEnv, Step, Task, run_episode
from scent.rl.rewards import COMPONENTS, Cited, Outcome, rewards

__all__ = ["COMPONENTS", "Action", "Cited", "Episode", "Outcome", "SearchEnv", "Step", "Task", "rewards",
           "run_episode"]
