"""Level packs: the format (schema), loading, objective checks, explanations,
scripted events, a level session and the learner's progress (PRODUCT.md §2).

Shared by the CLI and the TUI, so nothing here imports Textual or Rich.
"""

from .loader import Level, Objective, Pack, find_level, load_pack, load_packs
from .schema import PackProblem

__all__ = ["Level", "Objective", "Pack", "PackProblem", "find_level", "load_pack", "load_packs"]
