"""The agent: answers one question from an index, citing the exact passages (`Agent.run`)."""

from scent.agent.context import AgentConfig
from scent.agent.loop import Abstained, Agent, Answered, Written

__all__ = ["Abstained", "Agent", "AgentConfig", "Answered", "Written"]
