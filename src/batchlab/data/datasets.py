"""Small generated datasets used across the notebooks.

They live in this module (not in a notebook) so DataLoader worker processes can
import them under the ``spawn`` start method (macOS, Windows). Nothing is ever
downloaded: every sample is generated from a seed.

>>> ds = NumbersDataset(10)
>>> len(ds), ds[0], ds[9]
(10, 1, 10)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torch.utils.data import Dataset

from batchlab._checks import check_int, check_positive_int, check_real


def _generator(seed: int) -> torch.Generator:
    g = torch.Generator()
    g.manual_seed(check_int(seed, "seed", minimum=0))
    return g


def _check_index(idx, length: int) -> int:
    idx = check_int(idx, "index")
    if not -length <= idx < length:
        raise IndexError(f"index {idx} is out of range for a dataset of length {length}")
    return idx % length


class NumbersDataset(Dataset):
    """The numbers ``start, start+1, …, start+n-1`` as plain Python ints.

    With ``NumbersDataset(10)`` it is the data of the mini-batch post (``docs/sources.md``).

    >>> ds = NumbersDataset(5, start=1)
    >>> [ds[i] for i in range(len(ds))]
    [1, 2, 3, 4, 5]
    """

    def __init__(self, n: int = 10, start: int = 1):
        self.n = check_positive_int(n, "n")
        self.start = check_int(start, "start")

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx: int) -> int:
        return self.start + _check_index(idx, self.n)


class LinearRegressionDataset(Dataset):
    """Pairs ``(x, y)`` with ``y = slope * x + bias + noise``; each a float tensor of shape ``[1]``.

    With the defaults it is the mini-batch post's problem: the label is twice the input.

    >>> ds = LinearRegressionDataset(4, seed=0)
    >>> x, y = ds[0]
    >>> x.shape, torch.allclose(y, 2 * x)
    (torch.Size([1]), True)
    """

    def __init__(self, n: int = 100, *, slope: float = 2.0, bias: float = 0.0,
                 noise: float = 0.0, x_range: tuple[float, float] = (-1.0, 1.0), seed: int = 0):
        self.n = check_positive_int(n, "n")
        self.slope = check_real(slope, "slope")
        self.bias = check_real(bias, "bias")
        self.noise = check_real(noise, "noise", minimum=0.0)
        lo, hi = (check_real(v, "x_range") for v in x_range)
        if not lo < hi:
            raise ValueError(f"x_range must be (low, high) with low < high, got {x_range}")
        g = _generator(seed)
        self.x = lo + (hi - lo) * torch.rand(self.n, 1, generator=g)
        self.y = self.slope * self.x + self.bias + self.noise * torch.randn(self.n, 1, generator=g)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx: int):
        i = _check_index(idx, self.n)
        return self.x[i], self.y[i]


class Blobs2D(Dataset):
    """A 2-D classification set: one Gaussian blob per class, with the class sizes you choose.

    ``class_counts=(900, 90, 10)`` gives a 3-class set with a 90:9:1 imbalance.
    Samples are ``(features: float32[2], label: int64 scalar)``; ``.features`` and
    ``.labels`` hold the whole set as tensors. Samples are stored class by class.

    >>> ds = Blobs2D((3, 2), seed=0)
    >>> len(ds), ds.labels.tolist()
    (5, [0, 0, 0, 1, 1])
    """

    def __init__(self, class_counts: Sequence[int] = (500, 500), *, spread: float = 1.0,
                 radius: float = 2.0, seed: int = 0):
        if isinstance(class_counts, (str, bytes)) or not hasattr(class_counts, "__iter__"):
            raise TypeError(f"class_counts must be a sequence of ints, got {class_counts!r}")
        counts = [check_positive_int(c, "class_counts[i]") for c in class_counts]
        if len(counts) < 2:
            raise ValueError(f"class_counts needs at least 2 classes, got {len(counts)}")
        self.class_counts = tuple(counts)
        self.spread = check_real(spread, "spread", minimum=0.0)
        self.radius = check_real(radius, "radius", minimum=0.0)
        g = _generator(seed)
        num_classes = len(counts)
        angles = torch.arange(num_classes, dtype=torch.float32) * (2 * torch.pi / num_classes)
        self.centers = self.radius * torch.stack([angles.cos(), angles.sin()], dim=1)
        self.labels = torch.repeat_interleave(torch.arange(num_classes), torch.tensor(counts))
        noise = self.spread * torch.randn(len(self.labels), 2, generator=g)
        self.features = self.centers[self.labels] + noise

    @property
    def num_classes(self) -> int:
        return len(self.class_counts)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, idx: int):
        i = _check_index(idx, len(self))
        return self.features[i], self.labels[i]


class SequenceDataset(Dataset):
    """Variable-length token sequences: ``(tokens: int64[length], label: int)``.

    Lengths are uniform in ``[min_len, max_len]``; tokens are in ``1..vocab_size-1``
    (0 is kept free for padding). The label is 1 when the sequence is longer than
    the midpoint of the length range, so a model has something to learn.

    >>> ds = SequenceDataset(4, min_len=2, max_len=5, seed=0)
    >>> [len(ds[i][0]) for i in range(4)] == ds.lengths.tolist()
    True
    """

    def __init__(self, n: int = 100, *, min_len: int = 2, max_len: int = 12,
                 vocab_size: int = 50, seed: int = 0):
        self.n = check_positive_int(n, "n")
        min_len = check_positive_int(min_len, "min_len")
        max_len = check_positive_int(max_len, "max_len")
        if min_len > max_len:
            raise ValueError(
                f"min_len must be <= max_len, got min_len={min_len}, max_len={max_len}")
        self.vocab_size = check_int(vocab_size, "vocab_size", minimum=2)
        g = _generator(seed)
        self.lengths = torch.randint(min_len, max_len + 1, (self.n,), generator=g)
        self.sequences = [torch.randint(1, self.vocab_size, (int(k),), generator=g)
                          for k in self.lengths]
        self.labels = (self.lengths > (min_len + max_len) / 2).long()

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx: int):
        i = _check_index(idx, self.n)
        return self.sequences[i], int(self.labels[i])


class DetectionDataset(Dataset):
    """Images with a variable number of boxes, as in object detection (the DataLoader post).

    A sample is ``(image: float32[3, H, W], boxes: float32[k, 5])`` where each box row
    is ``(x_min, y_min, x_max, y_max, class_id)`` in pixels, ``k`` varying from image to
    image. Each box is drawn into the image as a filled rectangle, so images and
    boxes agree.

    >>> ds = DetectionDataset(3, image_size=16, max_boxes=3, seed=0)
    >>> image, boxes = ds[0]
    >>> image.shape, boxes.shape[1]
    (torch.Size([3, 16, 16]), 5)
    """

    def __init__(self, n: int = 20, *, image_size: int = 32, min_boxes: int = 1,
                 max_boxes: int = 4, num_classes: int = 3, seed: int = 0):
        self.n = check_positive_int(n, "n")
        self.image_size = check_int(image_size, "image_size", minimum=8)
        min_boxes = check_int(min_boxes, "min_boxes", minimum=0)
        max_boxes = check_int(max_boxes, "max_boxes", minimum=0)
        if min_boxes > max_boxes:
            raise ValueError(f"min_boxes must be <= max_boxes, got {min_boxes} > {max_boxes}")
        self.num_classes = check_positive_int(num_classes, "num_classes")
        g = _generator(seed)
        s = self.image_size
        self.images = 0.1 * torch.rand(self.n, 3, s, s, generator=g)
        self.boxes = []
        palette = torch.eye(3)
        for i in range(self.n):
            k = int(torch.randint(min_boxes, max_boxes + 1, (1,), generator=g))
            corner = torch.randint(0, s // 2, (k, 2), generator=g)
            size = torch.randint(3, s // 2 + 1, (k, 2), generator=g)
            cls = torch.randint(0, self.num_classes, (k, 1), generator=g)
            box = torch.cat([corner, corner + size, cls], dim=1).float()
            for x0, y0, x1, y1, c in box.long().tolist():
                self.images[i, :, y0:y1, x0:x1] = palette[c % 3].view(3, 1, 1)
            self.boxes.append(box)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx: int):
        i = _check_index(idx, self.n)
        return self.images[i], self.boxes[i]


def write_image_folder(root: str | Path, *, classes: Sequence[str] = ("cat", "dog"),
                       per_class: int = 8, size: int = 32,
                       seed: int = 0) -> Path:
    """Write a tiny ImageFolder tree of generated PNGs: ``root/<class>/<class>_<i>.png``.

    Each class gets its own look (a colour and a pattern) plus noise, so a model can
    tell them apart. Use it with ``torchvision.datasets.ImageFolder(root)``. Nothing is
    downloaded; write into a temporary directory you own.

    >>> import tempfile
    >>> from torchvision.datasets import ImageFolder
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     root = write_image_folder(tmp, per_class=2, size=8)
    ...     ds = ImageFolder(root)
    ...     (len(ds), ds.classes)
    (4, ['cat', 'dog'])
    """
    import numpy as np
    from PIL import Image

    if not isinstance(root, (str, Path)):
        raise TypeError(f"root must be a str or pathlib.Path directory, got {type(root).__name__}")
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise ValueError(f"root must be a directory, but {root} is a file")
    classes = [classes] if isinstance(classes, str) else list(classes)
    if not classes or not all(isinstance(c, str) and c and "/" not in c for c in classes):
        raise ValueError(f"classes must be a non-empty list of folder names, got {classes!r}")
    if len(set(classes)) != len(classes):
        raise ValueError(f"classes must be unique, got {classes!r}")
    per_class = check_positive_int(per_class, "per_class")
    size = check_int(size, "size", minimum=4)
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    yy, xx = np.mgrid[0:size, 0:size]
    for c, name in enumerate(classes):
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        hue = np.array([(c * 97) % 256, (c * 57 + 120) % 256, (c * 151 + 60) % 256], dtype=float)
        pattern = ((xx + c * yy) // max(2, size // 4)) % 2 if c % 2 else np.hypot(
            xx - size / 2, yy - size / 2) < size / 3
        for i in range(per_class):
            noise = rng.normal(0, 25, (size, size, 3))
            pixels = 0.6 * hue + 0.4 * 255 * pattern[..., None] + noise
            image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
            image.save(folder / f"{name}_{i:03d}.png")
    return root


__all__ = ["Blobs2D", "CatsDogs", "DetectionDataset", "LinearRegressionDataset",
           "NumbersDataset", "SequenceDataset", "write_image_folder"]


class CatsDogs(Dataset):
    """The sampler post's cats and dogs, small and imbalanced: ``(image, label)`` pairs.

    ``image`` is ``float32[3, size, size]``, ``label`` an int64 scalar.

    Label 0 is a cat, 1 a dog (``classes = ("cat", "dog")``). Every image is a flat grey
    level plus pixel noise; dogs are brighter on average (grey level ~ N(0.6, 0.1)) than
    cats (~ N(0.4, 0.1)), so the classes are separable by mean brightness — except
    where the two brightness ranges overlap. Samples are stored cats first.
    ``.images`` and ``.labels`` hold the whole set as tensors.

    >>> ds = CatsDogs((900, 100), seed=0)
    >>> ds.images.shape, ds.labels.bincount().tolist()
    (torch.Size([1000, 3, 8, 8]), [900, 100])
    >>> bright = ds.images.mean(dim=(1, 2, 3))
    >>> bool(bright[ds.labels == 1].mean() > bright[ds.labels == 0].mean())
    True
    """

    classes = ("cat", "dog")

    def __init__(self, counts: tuple[int, int] = (950, 50), *, size: int = 8, seed: int = 0):
        if isinstance(counts, (str, bytes)) or not hasattr(counts, "__iter__"):
            raise TypeError(f"counts must be a pair (cats, dogs) of ints, got {counts!r}")
        counts = [check_positive_int(c, "counts[i]") for c in counts]
        if len(counts) != 2:
            raise ValueError(f"counts must be a pair (cats, dogs), got {len(counts)} numbers")
        self.counts = tuple(counts)
        self.size = check_int(size, "size", minimum=2)
        g = _generator(seed)
        self.labels = torch.repeat_interleave(torch.arange(2), torch.tensor(counts))
        grey = 0.4 + 0.2 * self.labels + 0.1 * torch.randn(len(self.labels), generator=g)
        noise = 0.15 * torch.randn(len(self.labels), 3, self.size, self.size, generator=g)
        self.images = (grey.view(-1, 1, 1, 1) + noise).clamp(0, 1)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, idx: int):
        i = _check_index(idx, len(self))
        return self.images[i], self.labels[i]


