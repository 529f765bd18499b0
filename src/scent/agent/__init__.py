"""The research agent."""

from scent.agent.context import AgentConfig
from scent.agent.loop import Agent

__all__ = ["Agent", "AgentConfig"]
