"""Exercises for notebook 02 (images and transforms: ImageFolder, transforms.v2).

>>> q3.check(289)
Correct!
>>> q3.check(17)
Not quite. That is along one side; the window moves down and across. Hint: ex.q3.hint()
"""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

from ._question import CodeQuestion, Question, as_float_list, as_int, questions

# ----- q1: normalisation statistics from the training split --------------------------------------

def _stats_cases():
    """Fresh image datasets whose held-out images are brighter than the training ones."""
    gen = torch.Generator().manual_seed(7)
    for n, channels, side in ((10, 3, 6), (9, 2, 5)):
        train_idx = torch.randperm(n, generator=gen)[: n * 2 // 3].sort().values.tolist()
        brightness = torch.ones(n)
        brightness[train_idx] = torch.linspace(0.3, 0.6, len(train_idx))   # held out: 1.0
        images = torch.rand(n, channels, side, side, generator=gen) * brightness.view(n, 1, 1, 1)
        labels = torch.arange(n) % 2
        yield TensorDataset(images, labels), train_idx


def _truth(dataset, train_idx, correction):
    pixels = torch.stack([dataset[i][0] for i in train_idx])       # [N, C, H, W]
    return (pixels.mean(dim=(0, 2, 3)).tolist(),
            pixels.std(dim=(0, 2, 3), correction=correction).tolist())


def _close(got, want) -> bool:
    return len(got) == len(want) and all(abs(a - b) < 1e-4 for a, b in zip(got, want, strict=True))


def _judge_stats(fn):
    if not callable(fn):
        return "Give the function itself: ex.q1.check(channel_stats) (no parentheses)."
    for dataset, train_idx in _stats_cases():
        out = fn(dataset, list(train_idx))
        if getattr(out, "ndim", 0) == 2 and len(out) == 2:   # mean and std stacked: [2, C]
            out = list(out)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            return "channel_stats should return two things: (mean, std)."
        channels = dataset[0][0].shape[0]
        try:
            mean, std = as_float_list(out[0]), as_float_list(out[1])
        except ValueError:
            return (f"mean and std should each be a list or a 1-d tensor of {channels} numbers, "
                    "one per channel.")
        if len(mean) != channels or len(std) != channels:
            return (f"For images with {channels} channels, mean and std should hold {channels} "
                    f"numbers each (one per channel), got {len(mean)} and {len(std)}.")
        every = list(range(len(dataset)))
        if _close(mean, _truth(dataset, every, 1)[0]) and not _close(mean, _truth(
                dataset, train_idx, 1)[0]):
            return ("These are the statistics of the whole dataset: use only the images whose "
                    "index is in train_idx.")
        want_mean = _truth(dataset, train_idx, 1)[0]
        if not _close(mean, want_mean):
            return f"The mean per channel should be {[round(m, 4) for m in want_mean]}."
        if not any(_close(std, _truth(dataset, train_idx, c)[1]) for c in (1, 0)):
            return ("The means are right, the stds are not: compute one std per channel over "
                    "all the pixels of all the training images together.")
    return True


def _stats_reference(dataset, train_idx):
    pixels = torch.stack([dataset[i][0] for i in train_idx])       # [N, C, H, W]
    return pixels.mean(dim=(0, 2, 3)), pixels.std(dim=(0, 2, 3))


def _stats_all_images(dataset, train_idx):
    pixels = torch.stack([dataset[i][0] for i in range(len(dataset))])   # held-out ones too
    return pixels.mean(dim=(0, 2, 3)), pixels.std(dim=(0, 2, 3))


def _stats_mean_of_image_stds(dataset, train_idx):
    pixels = torch.stack([dataset[i][0] for i in train_idx])
    return pixels.mean(dim=(0, 2, 3)), pixels.std(dim=(2, 3)).mean(dim=0)


def _stats_one_number(dataset, train_idx):
    pixels = torch.stack([dataset[i][0] for i in train_idx])
    return pixels.mean(), pixels.std()


q1 = CodeQuestion(
    "Write channel_stats(dataset, train_idx): dataset[i] is (image, label), the image a float "
    "tensor [C, H, W]; return (mean, std), one number per channel, over the images whose "
    "index is in train_idx (the training split) and no others.",
    _judge_stats,
    hint="Stack the training images into one tensor first. Which dimensions hold the images, "
         "the rows and the columns, and which one must stay?",
    solution="def channel_stats(dataset, train_idx):\n"
             "    pixels = torch.stack([dataset[i][0] for i in train_idx])   # [N, C, H, W]\n"
             "    return pixels.mean(dim=(0, 2, 3)), pixels.std(dim=(0, 2, 3))\n\n"
             "ex.q1.check(channel_stats)",
    reference=_stats_reference,
    wrong=[_stats_all_images, _stats_mean_of_image_stds, _stats_one_number, 0.5],
    probe=lambda fn: fn(*next(_stats_cases())),
)


# ----- q2: write a target_transform -------------------------------------------------------------

class _LabelDataset(Dataset):
    """Samples ``(x, label)`` whose label goes through ``target_transform``, as in torchvision."""

    def __init__(self, labels, target_transform):
        self.labels, self.target_transform = labels, target_transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        return torch.zeros(2), self.target_transform(self.labels[idx])


def _judge_one_hot(fn):
    if not callable(fn):
        return "Give the function itself: ex.q2.check(one_hot) (no parentheses)."
    for label in (0, 1, 2, torch.tensor(2), torch.tensor(0)):
        out = fn(label)
        if out is None or out is ...:
            return "one_hot returned None: write its body in place of `...`."
        if not isinstance(out, torch.Tensor):
            return f"one_hot must return a tensor, got {type(out).__name__}."
        if out.dtype != torch.float32:
            return (f"one_hot({label!r}) has dtype {out.dtype}; losses that take one-hot or "
                    "probability targets want float32.")
        if tuple(out.shape) != (3,):
            return f"one_hot({label!r}) should have shape (3,), got {tuple(out.shape)}."
        want = torch.eye(3)[int(label)]
        if not torch.equal(out, want):
            return f"one_hot({label!r}) should be {want.tolist()}, got {out.tolist()}."
    _, targets = next(iter(DataLoader(_LabelDataset([2, 0, 1, 1], fn), batch_size=4)))
    if tuple(targets.shape) != (4, 3):
        return f"A DataLoader should batch the targets to shape (4, 3), got {tuple(targets.shape)}."
    return True


def _one_hot_reference(label):
    return torch.nn.functional.one_hot(torch.as_tensor(label), num_classes=3).float()


def _one_hot_int64(label):
    return torch.nn.functional.one_hot(torch.as_tensor(label), num_classes=3)


def _one_hot_with_batch_dim(label):
    return _one_hot_reference(label).unsqueeze(0)


def _label_unchanged(label):
    return torch.as_tensor(label, dtype=torch.float32)


q2 = CodeQuestion(
    "Write one_hot(label): a target_transform that turns a class index 0, 1 or 2 (a Python int, "
    "as ImageFolder gives it, or a 0-d int64 tensor) into a float32 one-hot tensor of shape (3,), "
    "e.g. one_hot(1) -> tensor([0., 1., 0.]).",
    _judge_one_hot,
    hint="A one-hot vector has one entry per class: 0 everywhere except a 1 at the label's "
         "position. Print the dtype of what your function returns and compare with the question.",
    solution="def one_hot(label):\n"
             "    label = torch.as_tensor(label)\n"
             "    return torch.nn.functional.one_hot(label, num_classes=3).float()\n\n"
             "ex.q2.check(one_hot)",
    reference=_one_hot_reference,
    wrong=[_one_hot_int64, _one_hot_with_batch_dim, _label_unchanged, 3],
    probe=lambda fn: fn(1),
)


# ----- q3: where a padded RandomCrop window can land ---------------------------------------------

def _judge_windows(answer):
    n = as_int(answer)
    if n == 81:
        return ("That counts the windows of the unpadded 40 x 40 image: padding=4 adds 4 pixels "
                "on every side before the window is placed.")
    if n == 17:
        return "That is along one side; the window moves down and across."
    if n in (256, 64):
        return ("Count the start positions along one side again: the first and the last "
                "both count.")
    return n == 289


q3 = Question(
    "v2.RandomCrop(32, padding=4) on a 40 x 40 image: at how many different positions can the "
    "32 x 32 window land?",
    _judge_windows,
    hint="Padding first makes the image larger; then count where the window's top-left corner "
         "can start along one side, as section 6 did for the unpadded image.",
    solution="answer = 289  # padded to 48 x 48; the corner starts at 0..16 on each side: 17 * 17",
    reference=289,
    wrong=[81, 17, 256, 64],
)

QUESTIONS = questions(globals())
