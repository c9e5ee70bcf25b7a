"""``inspector.ui.caches.shared``: the cache every session shares, checked against what
``st.cache_resource`` promised the pages (one object, LRU, errors not kept, ``_`` arguments unkeyed,
one computation for a class asking at once)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pytest

from inspector.ui.caches.shared import shared


@dataclass(frozen=True)
class Settings:
    size: int
    name: str = "x"


def test_a_hit_is_the_same_object_and_the_least_recently_used_goes() -> None:
    calls: list[int] = []

    @shared(max_entries=2)
    def square(n: int) -> list[int]:
        calls.append(n)
        return [n * n]

    first = square(1)
    assert square(1) is first and square(n=1) is first  # keyed by the bound arguments
    square(2)
    square(1)  # 1 is now the most recent: 2 goes when 3 comes
    square(3)
    assert calls == [1, 2, 3]
    square(1)
    square(2)
    assert calls == [1, 2, 3, 2]


def test_dataclass_keys_defaults_and_unkeyed_arguments() -> None:
    seen: list[tuple[Settings, bytes]] = []

    @shared(max_entries=8)
    def build(cfg: Settings, _payload: bytes, scale: int = 1) -> int:
        seen.append((cfg, _payload))
        return cfg.size * scale

    assert build(Settings(4), b"a") == 4
    assert build(Settings(4), b"b") == 4  # the payload is not part of the key
    assert build(Settings(4), b"a", 1) == 4  # nor is spelling out the default
    assert build(Settings(4, "y"), b"a") == 4
    assert len(seen) == 2


def test_an_error_is_not_kept_and_clear_forgets() -> None:
    attempts: list[int] = []

    @shared(max_entries=4)
    def flaky(n: int) -> int:
        attempts.append(n)
        if len(attempts) == 1:
            raise ValueError("first time")
        return n

    with pytest.raises(ValueError, match="first time"):
        flaky(5)
    assert flaky(5) == 5 and flaky(5) == 5
    flaky.clear()
    assert flaky(5) == 5
    assert attempts == [5, 5, 5]


def test_an_unhashable_argument_is_refused() -> None:
    @shared(max_entries=1)
    def total(values: list[int]) -> int:
        return sum(values)

    with pytest.raises(TypeError):
        total([1, 2])


def test_a_class_asking_at_once_computes_once() -> None:
    calls: list[int] = []

    @shared(max_entries=4)
    def slow(n: int) -> object:
        calls.append(n)
        time.sleep(0.2)
        return object()

    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(slow(7))) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [7] and len(results) == 30 and all(r is results[0] for r in results)
