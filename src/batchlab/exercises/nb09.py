"""Exercises for notebook 09 (sampling across processes).

>>> q1.check([3, 7, 11, 1])
Correct!
>>> q2.check((32, 40))  # doctest: +ELLIPSIS
Not quite. the effective batch is not right: ... Hint: ex.q2.hint()
"""

from __future__ import annotations

import math

import torch

from ._question import Question, as_int, questions


def _as_int_list(values):
    if isinstance(values, torch.Tensor):
        values = values.tolist()
    if not isinstance(values, (list, tuple)):
        raise ValueError(f"expected a list of indices, got {type(values).__name__}")
    return [as_int(v) for v in values]


# ----- q1: which indices does a rank get? -----------------------------------------------------

def _judge_rank3(answer):
    got = _as_int_list(answer)
    if got == [3, 7, 11]:
        return "that is only 3 indices, but every rank gets ceil(14 / 4) = 4."
    if got[:3] == [3, 7, 11] and len(got) == 4 and got[3] != 1:
        return "the first three are right; check which indices the padding repeats."
    return got == [3, 7, 11, 1]


q1 = Question(
    "DistributedSampler(range(14), num_replicas=4, rank=3, shuffle=False) — drop_last is "
    "False. Which indices does rank 3 get, in order? Answer with a list.",
    _judge_rank3,
    hint="The list 0..13 is first padded to a multiple of 4 by repeating its first indices; "
         "then rank r takes the positions r, r + 4, r + 8, …",
    solution="answer = [3, 7, 11, 1]  # padded list 0..13, 0, 1 (16 items); positions 3, 7, 11, 15",
    reference=[3, 7, 11, 1],
    wrong=[[3, 7, 11], [3, 7, 11, 13], [3, 7, 11, 0], [12, 13, 0, 1]],
)


# ----- q2: effective batch size and steps per epoch ----------------------------------------------

def _judge_effective(answer):
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return "answer with a pair: (effective_batch, steps_per_epoch)."
    batch, steps = (as_int(v) for v in answer)
    if batch != 2 * 4 * 32:
        return "the effective batch is not right: one optimizer step uses every rank's batch."
    if steps != math.ceil(math.ceil(10_000 / 8) / 32):
        return "the effective batch is right, but each rank only sees its share of the data."
    return True


q2 = Question(
    "torchrun --nnodes=2 --nproc-per-node=4 … train.py, where train.py uses "
    "DistributedSampler(dataset) on 10,000 samples and DataLoader(batch_size=32, "
    "sampler=sampler). How many samples go into one optimizer step (the effective batch), "
    "and how many steps does one epoch take? Answer: (effective_batch, steps_per_epoch).",
    _judge_effective,
    hint="WORLD_SIZE = nnodes × nproc-per-node. Each rank gets ceil(10000 / WORLD_SIZE) "
         "samples and cuts them into batches of 32; all ranks step together.",
    solution="answer = (256, 40)  # 8 ranks × 32; each rank: ceil(10000 / 8) = 1250 samples, "
             "ceil(1250 / 32) = 40 batches",
    reference=(256, 40),
    wrong=[(32, 40), (256, 313), (32, 313), (128, 40), (256, 39)],
)


# ----- q3: write the sharding of a global draw ---------------------------------------------------

def _reference_shard(draw, rank, num_replicas):
    per_rank = math.ceil(len(draw) / num_replicas)
    padded = list(draw) + list(draw)[:per_rank * num_replicas - len(draw)]
    return padded[rank::num_replicas]


def _contiguous_chunks(draw, rank, num_replicas):
    per_rank = math.ceil(len(draw) / num_replicas)
    padded = list(draw) + list(draw)[:per_rank * num_replicas - len(draw)]
    return padded[rank * per_rank:(rank + 1) * per_rank]


def _no_padding(draw, rank, num_replicas):
    return list(draw)[rank::num_replicas]


def _pad_from_end(draw, rank, num_replicas):
    per_rank = math.ceil(len(draw) / num_replicas)
    pad = per_rank * num_replicas - len(draw)
    padded = list(draw) + (list(draw)[len(draw) - pad:] if pad else [])
    return padded[rank::num_replicas]


_CASES = [([5, 5, 2, 9, 0, 7, 7], 3), ([4, 1, 8, 1], 2), ([3, 1, 4, 1, 5, 9, 2, 6], 4),
          ([2, 7, 1, 8, 2], 5), ([9, 8, 7, 6, 5, 4, 3, 2, 1, 0], 4), ([6, 0], 1)]


def _judge_shard(fn):
    if not callable(fn):
        return f"answer with your function itself (answer = shard), not a {type(fn).__name__}."
    for draw, num_replicas in _CASES:
        for rank in range(num_replicas):
            got = _as_int_list(fn(list(draw), rank, num_replicas))
            want = _reference_shard(draw, rank, num_replicas)
            if got != want:
                return (f"shard({draw}, rank={rank}, num_replicas={num_replicas}) should be "
                        f"{want}, got {got}.")
    return True


q3 = Question(
    "Write shard(draw, rank, num_replicas): the part of a global draw (a list of indices) that "
    "rank `rank` gets, laid out like DistributedSampler and DistributedWeightedSampler with "
    "drop_last=False: pad the draw to a multiple of num_replicas by repeating its first "
    "entries, then take every num_replicas-th entry starting at `rank`. "
    "Answer with the function: answer = shard.",
    _judge_shard,
    hint="per_rank = math.ceil(len(draw) / num_replicas); the padded list has "
         "per_rank * num_replicas entries; a slice with a step does the rest.",
    solution="def shard(draw, rank, num_replicas):\n"
             "    per_rank = math.ceil(len(draw) / num_replicas)\n"
             "    padded = draw + draw[:per_rank * num_replicas - len(draw)]\n"
             "    return padded[rank::num_replicas]\n\n"
             "answer = shard",
    reference=_reference_shard,
    wrong=[_contiguous_chunks, _no_padding, _pad_from_end, [0, 3, 6]],
)

QUESTIONS = questions(globals())
