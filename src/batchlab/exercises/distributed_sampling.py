"""Exercises for notebook 12 (sampling across processes).

>>> q1.check((3, 7, 11, 1))
Correct!
>>> q2.check(buggy_epoch_shards)  # doctest: +ELLIPSIS
Not quite. with 10 samples on 3 ranks, epoch 0 never reads ... Hint: ex.q2.hint()
>>> def shard(draw, rank, num_replicas):
...     ...
>>> q3.check(shard)
Not attempted yet: write the body of your function (replace ...) and run the cell again.
"""

from __future__ import annotations

import math

from torch.utils.data import DataLoader, DistributedSampler

from ._question import CodeQuestion, Question, as_int, as_int_list, questions

# ----- q1: which indices does a rank get? -----------------------------------------------------

def _judge_rank3(answer):
    got = as_int_list(answer)
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


# ----- q2: find the bug in a DDP epoch loop -----------------------------------------------------

def buggy_epoch_shards(dataset, rank, world_size, num_epochs):
    """``{epoch: indices rank reads}`` — with two bugs (notebook 12, exercise 2)."""
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, seed=rank)
    loader = DataLoader(dataset, batch_size=2, sampler=sampler)
    read = {}
    for epoch in range(num_epochs):
        read[epoch] = [i for batch in loader for i in batch.tolist()]
    return read


def _fixed_epoch_shards(dataset, rank, world_size, num_epochs):
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, seed=0)
    loader = DataLoader(dataset, batch_size=2, sampler=sampler)
    read = {}
    for epoch in range(num_epochs):
        sampler.set_epoch(epoch)
        read[epoch] = [i for batch in loader for i in batch.tolist()]
    return read


def _only_set_epoch(dataset, rank, world_size, num_epochs):
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, seed=rank)
    epochs = []
    for epoch in range(num_epochs):
        sampler.set_epoch(epoch)
        epochs.append(list(sampler))
    return epochs


def _only_same_seed(dataset, rank, world_size, num_epochs):
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, seed=0)
    return {epoch: list(sampler) for epoch in range(num_epochs)}


def _epochs(read, num_epochs):
    """A student's ``{epoch: indices}`` (or a list of epochs) as a list of int lists."""
    if isinstance(read, dict):
        read = [read.get(epoch, []) for epoch in range(num_epochs)]
    return [as_int_list(indices) for indices in read]


_Q2_CASES = [(10, 3), (8, 2), (7, 2), (12, 4)]


def _probe_q2(fn):
    return fn(range(10), 0, 3, 2)


def _judge_epoch_shards(fn):
    if not callable(fn):
        return f"give your function itself (ex.q2.check(epoch_shards)), not a {type(fn).__name__}."
    for n, world_size in _Q2_CASES:
        runs = [_epochs(fn(range(n), rank, world_size, 3), 3) for rank in range(world_size)]
        again = [_epochs(fn(range(n), rank, world_size, 3), 3) for rank in range(world_size)]
        if runs != again:
            return "two calls give different indices: seed the sampler, not the global RNG."
        if any(len(epochs) != 3 for epochs in runs):
            return "return {epoch: indices} with one entry per epoch."
        for epoch in range(3):
            seen = [i for epochs in runs for i in epochs[epoch]]
            missing = sorted(set(range(n)) - set(seen))
            if missing and len(seen) == len(set(seen)):
                return (f"with {n} samples on {world_size} ranks, epoch {epoch} never reads "
                        f"{missing}, and no sample is read twice: something trims the epoch "
                        f"(drop_last=True?). Every sample must be read.")
            if missing:
                return (f"with {n} samples on {world_size} ranks, epoch {epoch} never reads "
                        f"{missing}, and reads other samples on two ranks: the ranks do not "
                        f"split one shared permutation.")
        for rank, epochs in enumerate(runs):
            if epochs[0] == epochs[1] or epochs[1] == epochs[2]:
                return (f"rank {rank} reads {epochs[0]} in epoch 0 and the same order again "
                        f"later: every epoch repeats the first one.")
    return True


q2 = CodeQuestion(
    "Find the two bugs in buggy_epoch_shards (shown in the notebook) and write the fixed "
    "epoch_shards(dataset, rank, world_size, num_epochs): {epoch: the indices rank `rank` "
    "reads in that epoch}. Over all ranks, every epoch must read every sample, and each epoch "
    "a new order.",
    _judge_epoch_shards,
    probe=_probe_q2,
    hint="Run the buggy function for every rank and compare: which samples does an epoch "
         "miss, and does epoch 1 differ from epoch 0? Then ask what the ranks must agree on "
         "to split one order between them, and what must tell the sampler a new epoch began.",
    solution="def epoch_shards(dataset, rank, world_size, num_epochs):\n"
             "    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank,\n"
             "                                 seed=0)  # the same seed on every rank\n"
             "    loader = DataLoader(dataset, batch_size=2, sampler=sampler)\n"
             "    read = {}\n"
             "    for epoch in range(num_epochs):\n"
             "        sampler.set_epoch(epoch)  # a new permutation each epoch\n"
             "        read[epoch] = [i for batch in loader for i in batch.tolist()]\n"
             "    return read",
    reference=_fixed_epoch_shards,
    wrong=[buggy_epoch_shards, _only_set_epoch, _only_same_seed, [0, 3, 6]],
)


# ----- q3: write the sharding of a global draw ---------------------------------------------------

def _reference_shard(draw, rank, num_replicas):
    draw = list(draw)
    per_rank = math.ceil(len(draw) / num_replicas)
    padding = per_rank * num_replicas - len(draw)
    padded = draw + (draw * math.ceil(padding / len(draw)))[:padding]  # wraps if needed
    return padded[rank::num_replicas]


def _pad_once(draw, rank, num_replicas):
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
          ([2, 7, 1, 8, 2], 5), ([9, 8, 7, 6, 5, 4, 3, 2, 1, 0], 4), ([6, 0], 1),
          ([4, 9], 5), ([3], 4)]  # the last two: more padding than draw, it wraps around


def _judge_shard(fn):
    if not callable(fn):
        return f"give your function itself (ex.q3.check(shard)), not a {type(fn).__name__}."
    for draw, num_replicas in _CASES:
        for rank in range(num_replicas):
            got = as_int_list(fn(list(draw), rank, num_replicas))
            want = _reference_shard(draw, rank, num_replicas)
            if got != want:
                return (f"shard({draw}, rank={rank}, num_replicas={num_replicas}) should be "
                        f"{want}, got {got}.")
    return True


def _probe_q3(fn):
    return fn([5, 5, 2, 9, 0, 7, 7], 0, 3)


q3 = CodeQuestion(
    "Write shard(draw, rank, num_replicas): the part of a global draw (a list of indices) that "
    "rank `rank` gets, laid out like DistributedSampler and DistributedWeightedSampler with "
    "drop_last=False: pad the draw to a multiple of num_replicas by repeating it from its "
    "first entry (from the start again if the draw is shorter than the padding), then take "
    "every num_replicas-th entry starting at `rank`.",
    _judge_shard,
    probe=_probe_q3,
    hint="How long must the padded draw be so that every rank gets the same number of "
         "entries? Try a draw of 2 on 5 ranks. Then one slice with a step picks a rank's "
         "entries.",
    solution="import math\n\n\n"
             "def shard(draw, rank, num_replicas):\n"
             "    per_rank = math.ceil(len(draw) / num_replicas)\n"
             "    padding = per_rank * num_replicas - len(draw)\n"
             "    padded = draw + (draw * math.ceil(padding / len(draw)))[:padding]\n"
             "    return padded[rank::num_replicas]",
    reference=_reference_shard,
    wrong=[_contiguous_chunks, _no_padding, _pad_from_end, _pad_once, [0, 3, 6]],
)


# ----- q4: how many samples does a padded evaluation count twice? -------------------------------

def _judge_twice(answer):
    twice = as_int(answer)
    if twice == 0:
        return ("10 001 is not a multiple of 8: DistributedSampler pads every rank to the "
                "same length.")
    if twice == 1:
        return "the padding fills up to a multiple of 8, which may take more than one repeat."
    if twice == 8:
        return ("the repeats only fill the slots up to the next multiple of 8 — how many "
                "does that take?")
    return twice == 7


q4 = Question(
    "A validation set of 10,001 samples is evaluated on 8 ranks, each with "
    "DistributedSampler(val_set, shuffle=False); every rank counts its correct predictions "
    "and its samples, and both counts are summed with all_reduce. How many samples are "
    "counted twice?",
    _judge_twice,
    hint="Every rank gets ceil(N / world_size) indices; the sampler fills the slots beyond N "
         "by repeating indices from the start of the list.",
    solution="answer = 7  # 8 ranks × ceil(10001 / 8) = 8 × 1251 = 10008 slots for 10001 samples",
    reference=7,
    wrong=[0, 1, 8, 10008],
)

QUESTIONS = questions(globals())
