"""The example subnet's task, shared by its miner and its validator: sort a list of integers.

The validator sends ``POST /sort`` with ``{"numbers": [...]}``; a miner answers
``{"sorted": [...]}``. An answer is right when it is exactly ``sorted(numbers)``.
"""

from __future__ import annotations

import random

from pydantic import BaseModel, Field

#: The route miners serve.
ROUTE = "/sort"


class SortTask(BaseModel):
    """What the validator asks."""

    numbers: list[int] = Field(max_length=10_000)


class SortAnswer(BaseModel):
    """What a miner answers."""

    sorted: list[int]


def new_task(rng: random.Random, size: int = 20) -> SortTask:
    """A random list of ``size`` integers."""
    return SortTask(numbers=[rng.randint(-1_000, 1_000) for _ in range(size)])


def score(task: SortTask, answer: SortAnswer | None) -> float:
    """1 for the right answer, 0 for anything else (a wrong one, none, a refusal)."""
    return 1.0 if answer is not None and answer.sorted == sorted(task.numbers) else 0.0
