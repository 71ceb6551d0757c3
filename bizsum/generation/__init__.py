"""Generation: the documents × prompts × models × samples matrix into ``generations.jsonl``."""

from bizsum.generation.plan import Cell, RunPlan
from bizsum.generation.runner import GenerationIncomplete, agenerate, check_complete, generate
from bizsum.generation.workers import GenerationStats

__all__ = ["Cell", "GenerationIncomplete", "GenerationStats", "RunPlan", "agenerate", "check_complete", "generate"]
