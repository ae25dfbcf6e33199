"""Look at image samples: a grid of images with their labels, and a grid of random crops.

Each figure function returns a closed matplotlib ``Figure`` (built with
``batchlab.viz.figures.new_figure``); end a notebook cell with it to show it once.

>>> import torch
>>> fig = plot_image_grid(torch.rand(6, 3, 8, 8), [0, 1, 0, 1, 1, 0], class_names=["cat", "dog"],
...                  ncols=3)
>>> len(fig.axes), fig.axes[1].get_title()
(6, 'dog')
"""

from __future__ import annotations

import numbers

import torch

from batchlab._checks import check_positive_int
from batchlab.viz.figures import new_figure


def _as_image_batch(images) -> torch.Tensor:
    if isinstance(images, (list, tuple)):
        if not images or not all(isinstance(im, torch.Tensor) for im in images):
            raise TypeError("images must be a tensor [N, C, H, W] or a non-empty list of "
                            "[C, H, W] tensors")
        shapes = {tuple(im.shape) for im in images}
        if len(shapes) != 1:
            raise ValueError(f"images in a list must share one shape, got {sorted(shapes)}")
        images = torch.stack(list(images))
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"images must be a tensor [N, C, H, W] or a list of [C, H, W] tensors, "
                        f"got {type(images).__name__}")
    if images.dim() == 3:
        images = images.unsqueeze(0)
    if images.dim() != 4 or images.shape[1] not in (1, 3) or images.shape[0] == 0:
        raise ValueError(f"images must have shape [N, C, H, W] with N >= 1 and C in (1, 3), "
                         f"got {list(images.shape)}")
    return images.detach().cpu()


def _channel_stats(value, name: str, channels: int) -> torch.Tensor:
    values = [value] if isinstance(value, numbers.Real) else list(value)
    if len(values) not in (1, channels) or not all(isinstance(v, numbers.Real) for v in values):
        raise ValueError(f"{name} must be a number or {channels} numbers (one per channel), "
                         f"got {value!r}")
    return torch.tensor([float(v) for v in values]).view(-1, 1, 1)


def to_displayable(images, *, mean=None, std=None) -> torch.Tensor:
    """Images ``[N, C, H, W]`` as ``float32`` in ``[0, 1]``, ready for ``imshow``.

    ``uint8`` images are divided by 255. If the images were normalized with
    ``Normalize(mean, std)``, pass the same ``mean`` and ``std`` to undo it
    (``x * std + mean``). Values are then clipped to ``[0, 1]``.

    >>> x = torch.tensor([[[[-1.0, 1.0]]]])           # one 1-channel 1×2 image
    >>> to_displayable(x, mean=0.5, std=0.5).tolist()  # undo Normalize(0.5, 0.5)
    [[[[0.0, 1.0]]]]
    """
    images = _as_image_batch(images)
    if images.dtype == torch.uint8:
        images = images.float() / 255
    elif not images.is_floating_point():
        raise TypeError(f"images must be uint8 or floating point, got {images.dtype}")
    images = images.float()
    if (mean is None) != (std is None):
        raise ValueError("pass both mean and std (the ones given to Normalize), or neither")
    if mean is not None:
        channels = images.shape[1]
        std_t = _channel_stats(std, "std", channels)
        if (std_t <= 0).any():
            raise ValueError(f"std must be positive, got {std!r}")
        images = images * std_t + _channel_stats(mean, "mean", channels)
    return images.clamp(0, 1)


def plot_image_grid(images, labels=None, *, class_names=None, ncols: int = 4, mean=None, std=None,
               panel_size: float = 1.2):
    """A grid of images with their labels as titles; returns a closed ``Figure``.

    ``images`` is a tensor ``[N, C, H, W]`` (``C`` is 1 or 3; ``uint8`` or float) or a
    list of ``[C, H, W]`` tensors. ``labels`` (optional) are class ids; with
    ``class_names`` (e.g. ``ImageFolder.classes``) the titles show the names.
    ``mean``/``std`` undo a ``Normalize`` so the picture looks right.

    >>> fig = plot_image_grid(torch.zeros(5, 1, 4, 4, dtype=torch.uint8), ncols=3)
    >>> len(fig.axes), sum(ax.get_visible() for ax in fig.axes)
    (6, 5)
    """
    pictures = to_displayable(images, mean=mean, std=std)
    n = len(pictures)
    ncols = min(check_positive_int(ncols, "ncols"), n)
    if labels is not None:
        labels = labels.tolist() if isinstance(labels, torch.Tensor) else list(labels)
        if len(labels) != n:
            raise ValueError(f"labels must have one entry per image ({n}), got {len(labels)}")
    if class_names is not None:
        if labels is None:
            raise ValueError("class_names needs labels (class ids) to look up")
        class_names = list(class_names)
        for label in labels:
            if not isinstance(label, numbers.Integral) or not 0 <= label < len(class_names):
                raise ValueError(f"labels must be class ids in 0..{len(class_names) - 1} to use "
                                 f"class_names, got {label!r}")
    titles = None
    if labels is not None:
        titles = [class_names[k] if class_names is not None else str(k) for k in labels]
    return _draw(pictures, titles, ncols=ncols, width=panel_size, height=panel_size)


def _draw(pictures: torch.Tensor, titles, *, ncols: int, width: float, height: float):
    """Show ``[N, C, H, W]`` pictures in ``[0, 1]`` in a grid with optional titles."""
    n = len(pictures)
    nrows = -(-n // ncols)
    fig = new_figure(nrows, ncols, width=width, height=height)
    for k, ax in enumerate(fig.axes):
        ax.set_axis_off()
        if k >= n:
            ax.set_visible(False)
            continue
        picture = pictures[k].permute(1, 2, 0).numpy()
        if picture.shape[2] == 1:
            ax.imshow(picture[:, :, 0], cmap="gray", vmin=0, vmax=1)
        else:
            ax.imshow(picture)
        if titles is not None:
            ax.set_title(titles[k], fontsize=9)
    fig.tight_layout()
    return fig


