"""The JSON nesting limit is measured on the request text: the same answer as walking the parsed value."""

from __future__ import annotations

import random

import orjson
import pytest

from treeherder.api.submit import json_nesting_exceeds


def depth(value) -> int:
    """Nesting depth of a parsed value, the plain recursive way ([] is 1, a scalar 0)."""
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


TRICKY_STRINGS = ['[', ']]]', '{"a": [', 'quote \\" [', '\\', 'back\\\\', '"[{', 'ünï[cødé]', '']


def random_value(rng: random.Random, level: int = 0):
    kind = rng.random()
    if level > 12 or kind < 0.35:
        return rng.choice([rng.choice(TRICKY_STRINGS), rng.randint(-5, 5), 1.5, None, True])
    if kind < 0.7:
        return [random_value(rng, level + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(TRICKY_STRINGS) + str(i): random_value(rng, level + 1) for i in range(rng.randint(0, 4))}


def test_agrees_with_walking_the_value():
    rng = random.Random(6)
    for _ in range(2000):
        value = random_value(rng)
        text = orjson.dumps(value)
        actual = depth(value)
        for limit in (max(actual - 1, 0), actual, actual + 1):
            assert json_nesting_exceeds(text, limit) == (actual > limit), (text, limit)


@pytest.mark.parametrize(
    ("text", "limit", "exceeds"),
    [(b"[" * 65 + b"]" * 65, 64, True), (b"[" * 64 + b"]" * 64, 64, False), (b'{"a": "[[[[[["}', 1, False),
     (b' [ { "k" : [ ] } ] ', 2, True), (b"5", 0, False), (b'"[]"', 0, False), (b"[]", 0, True)],
)  # fmt: skip
def test_examples(text, limit, exceeds):
    assert json_nesting_exceeds(text, limit) is exceeds
