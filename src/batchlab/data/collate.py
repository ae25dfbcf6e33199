"""``collate_fn`` helpers: turn a list of samples into one batch.

``default_collate`` stacks samples, so every sample must have the same shape.
These two handle the classic cases where they do not.

>>> import torch
>>> batch = [(torch.tensor([1, 2, 3]), 0), (torch.tensor([4]), 1)]
>>> padded, lengths, labels = pad_collate(batch)
>>> padded.tolist(), lengths.tolist(), labels.tolist()
([[1, 2, 3], [4, 0, 0]], [3, 1], [0, 1])
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.nn.utils.rnn import pad_sequence


def _check_batch(batch, name: str):
    if not isinstance(batch, (list, tuple)) or len(batch) == 0:
        raise ValueError(f"{name} expects a non-empty list of samples, got {batch!r:.80}")
    for i, sample in enumerate(batch):
        if not isinstance(sample, (list, tuple)) or len(sample) != 2:
            raise TypeError(f"{name}: sample {i} must be a pair (tensor, target), "
                            f"got {type(sample).__name__}")
        if not isinstance(sample[0], torch.Tensor):
            raise TypeError(f"{name}: sample {i}'s first element must be a tensor, "
                            f"got {type(sample[0]).__name__}")


def pad_collate(batch: Sequence[tuple[torch.Tensor, int]], padding_value: float = 0,
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pad variable-length sequences to the longest in the batch.

    ``batch`` is a list of ``(sequence: Tensor[length, ...], label)`` pairs.
    Returns ``(padded: Tensor[B, max_length, ...], lengths: int64[B], labels: Tensor[B])``;
    keep ``lengths`` to mask the padding or to build a ``PackedSequence``.

    >>> seqs = [(torch.ones(2), 1), (torch.ones(4), 0)]
    >>> padded, lengths, labels = pad_collate(seqs, padding_value=-1)
    >>> padded.shape, padded[0].tolist()
    (torch.Size([2, 4]), [1.0, 1.0, -1.0, -1.0])
    """
    _check_batch(batch, "pad_collate")
    sequences = [s for s, _ in batch]
    if any(s.dim() == 0 for s in sequences):
        raise ValueError("pad_collate: sequences must have at least one dimension (the length)")
    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.long)
    padded = pad_sequence(sequences, batch_first=True, padding_value=padding_value)
    labels = torch.as_tensor([label for _, label in batch])
    return padded, lengths, labels


def detection_collate(batch: Sequence[tuple[torch.Tensor, torch.Tensor]],
                      ) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Stack the images; keep each image's boxes as its own tensor (the DataLoader post's collate).

    ``batch`` is a list of ``(image: Tensor[C, H, W], boxes)`` pairs where ``boxes`` has
    a different number of rows per image, so it cannot be stacked.
    Returns ``(images: Tensor[B, C, H, W], targets: list of B float tensors)``.

    >>> batch = [(torch.zeros(3, 8, 8), torch.ones(2, 5)), (torch.zeros(3, 8, 8), torch.ones(1, 5))]
    >>> images, targets = detection_collate(batch)
    >>> images.shape, [t.shape[0] for t in targets]
    (torch.Size([2, 3, 8, 8]), [2, 1])
    """
    _check_batch(batch, "detection_collate")
    shapes = {tuple(image.shape) for image, _ in batch}
    if len(shapes) != 1:
        raise ValueError(f"detection_collate: all images must have the same shape to be stacked, "
                         f"got {sorted(shapes)}")
    images = torch.stack([image for image, _ in batch], dim=0)
    targets = [torch.as_tensor(boxes, dtype=torch.float32) for _, boxes in batch]
    return images, targets
