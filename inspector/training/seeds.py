"""One run seed, several random streams: :func:`seed_for` derives each stream's seed.

A run has one user-facing seed (``TrainConfig.seed``), but its randomness comes from distinct
streams: the two networks' initial weights, dropout (PyTorch's global generator), and the CPU
generator that draws batches (crops, flips, which images). Under torchrun every rank needs its own
dropout and batch streams, and a resumed run's non-zero ranks (whose states the checkpoint does
not hold) need streams that differ from the ones they used before the checkpoint. The mixing
constants are primes, so that ``(seed, rank, step)`` triples map to distinct seeds for any
realistic run; they are fixed, because changing them changes every run's numbers.
"""

from __future__ import annotations

from typing import Literal

Stream = Literal["generator_init", "discriminator_init", "dropout", "batches"]
STREAMS: tuple[Stream, ...] = ("generator_init", "discriminator_init", "dropout", "batches")

_RANK_STRIDE = 1_000_003  # dropout: rank r's global generator is seeded seed + r * this
_SEED_STRIDE = 7919  # batches: spreads consecutive run seeds apart before ranks are added
_STEP_STRIDE = 104_729  # batches after a resume: a fresh stream per resume step for ranks > 0


def seed_for(seed: int, stream: Stream, rank: int = 0, step: int = 0) -> int:
    """The seed of ``stream`` for process ``rank`` of a run seeded ``seed``, starting at ``step``.

    ``step`` only matters for the ``batches`` stream of a rank whose state was not restored from
    a checkpoint (rank 0's stream is restored exactly, so a resumed run repeats an uninterrupted one).
    The result is a non-negative int that ``torch.manual_seed`` and ``torch.Generator.manual_seed``
    accept (it stays far below 2**63 for seeds up to ``MAX_SEED``).
    """
    if seed < 0 or rank < 0 or step < 0:
        raise ValueError(f"seed, rank and step must be >= 0; got seed {seed}, rank {rank}, step {step}")
    if stream == "generator_init":
        return seed
    if stream == "discriminator_init":
        return seed + 1  # G and D must not start from the same draws
    if stream == "dropout":
        return seed + _RANK_STRIDE * rank
    if stream == "batches":
        return seed * _SEED_STRIDE + rank + 1 + _STEP_STRIDE * step
    raise ValueError(f"stream must be one of {', '.join(STREAMS)}; got {stream!r}")
