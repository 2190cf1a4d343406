"""The Mesa engine: the model agent by agent, for watching and teaching."""

from .model import KooperationsModel

__all__ = ["KooperationsModel"]
