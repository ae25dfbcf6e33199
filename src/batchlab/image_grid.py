"""Look at image samples: a grid of images with their labels, and a grid of random crops.

Each figure function returns a closed matplotlib ``Figure`` (built with
``batchlab.plots.new_figure``); end a notebook cell with it to show it once.

>>> import torch
>>> fig = image_grid(torch.rand(6, 3, 8, 8), [0, 1, 0, 1, 1, 0], class_names=["cat", "dog"],
...                  ncols=3)
>>> len(fig.axes), fig.axes[1].get_title()
(6, 'dog')
"""

from __future__ import annotations

import numbers

import torch

from ._checks import check_int, check_positive_int
from .plots import new_figure


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


def image_grid(images, labels=None, *, class_names=None, ncols: int = 4, mean=None, std=None,
               panel_size: float = 1.2):
    """A grid of images with their labels as titles; returns a closed ``Figure``.

    ``images`` is a tensor ``[N, C, H, W]`` (``C`` is 1 or 3; ``uint8`` or float) or a
    list of ``[C, H, W]`` tensors. ``labels`` (optional) are class ids; with
    ``class_names`` (e.g. ``ImageFolder.classes``) the titles show the names.
    ``mean``/``std`` undo a ``Normalize`` so the picture looks right.

    >>> fig = image_grid(torch.zeros(5, 1, 4, 4, dtype=torch.uint8), ncols=3)
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


def _to_chw(image) -> torch.Tensor:
    """A ``[C, H, W]`` tensor from a tensor or a PIL image."""
    if not isinstance(image, torch.Tensor) and hasattr(image, "getbands"):  # a PIL image
        from torchvision.transforms import v2

        image = v2.functional.to_image(image)
    if not isinstance(image, torch.Tensor) or image.dim() != 3:
        raise TypeError(f"image must be a [C, H, W] tensor or a PIL image, got "
                        f"{type(image).__name__}"
                        + (f" of shape {list(image.shape)}" if isinstance(image, torch.Tensor)
                           else ""))
    return image.as_subclass(torch.Tensor)


def random_crops(image, *, size: int, padding: int = 0, seed: int = 0, n: int = 5) -> list:
    """``n`` outputs of torchvision's ``v2.RandomCrop(size, padding=padding)`` on ``image``.

    The crop positions come from torch's global random generator (that is what
    ``RandomCrop`` uses); this function seeds it with ``seed`` inside
    ``torch.random.fork_rng`` so the caller's random state is left untouched.
    ``image`` is a ``[C, H, W]`` tensor or a PIL image.

    >>> image = torch.arange(16, dtype=torch.uint8).view(1, 4, 4)
    >>> [c.shape[-1] for c in random_crops(image, size=2, n=3)]
    [2, 2, 2]
    >>> all(torch.equal(c, image) for c in random_crops(image, size=4, n=3))  # nothing to crop
    True
    """
    return [crop for crop, _ in random_crop_windows(image, size=size, padding=padding, seed=seed,
                                                    n=n)]


def random_crop_windows(image, *, size: int, padding: int = 0, seed: int = 0,
                        n: int = 5) -> list:
    """Like :func:`random_crops`, with where each crop came from: a list of ``(crop, (top, left))``.

    ``(top, left)`` is the crop's upper-left pixel in the image's own coordinates, so with
    ``padding`` it can be negative (the window starts in the padding). It is found by
    cropping, in the same ``RandomCrop`` call, a second image whose pixels hold their own
    coordinates; it is ``None`` when a crop lies entirely in the padding.

    >>> image = torch.zeros(1, 4, 4)
    >>> [box for _, box in random_crop_windows(image, size=4, n=2)]   # nothing to choose
    [(0, 0), (0, 0)]
    >>> _, (top, left) = random_crop_windows(image, size=2, padding=1, n=1)[0]
    >>> -1 <= top <= 3 and -1 <= left <= 3
    True
    """
    from torchvision import tv_tensors
    from torchvision.transforms import v2

    image = _to_chw(image)
    size = check_positive_int(size, "size")
    padding = check_int(padding, "padding", minimum=0)
    seed = check_int(seed, "seed", minimum=0)
    n = check_positive_int(n, "n")
    height, width = image.shape[-2:]
    if size > min(height, width) + 2 * padding:
        raise ValueError(f"size must be <= the padded image side {min(height, width) + 2 * padding}"
                         f" (image {height}×{width}, padding {padding}), got {size}")
    rows, cols = torch.meshgrid(torch.arange(1, height + 1), torch.arange(1, width + 1),
                                indexing="ij")
    where = tv_tensors.Image(torch.stack([rows, cols]))   # pixel (r, c) holds r + 1, c + 1
    crop = v2.RandomCrop(size, padding=padding or None)   # pads with 0: "not in the image"
    out = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for _ in range(n):
            cropped, cropped_where = crop(tv_tensors.Image(image), where)  # one draw for both
            inside = (cropped_where[0] > 0).nonzero()
            box = None
            if len(inside):
                i, j = inside[0].tolist()
                box = (int(cropped_where[0, i, j]) - 1 - i, int(cropped_where[1, i, j]) - 1 - j)
            out.append((cropped.as_subclass(torch.Tensor), box))
    return out


_WINDOW_COLOURS = ("#e41a1c", "#377eb8", "#4daf4a", "#ff7f00", "#984ea3", "#a65628")


def random_crop_grid(image, *, size: int, padding: int = 0, seed: int = 0, n: int = 5):
    """The image with each crop's window drawn on it, then ``n`` random crops; a closed ``Figure``.

    The crops are those of :func:`random_crops`; window ``k`` on the original has the
    colour of the title of crop ``k``. With ``padding`` the original panel shows the
    padded frame, so windows that start in the padding are drawn where they lie.

    >>> image = torch.rand(3, 16, 16)
    >>> fig = random_crop_grid(image, size=12, n=2)
    >>> [ax.get_title() for ax in fig.axes]
    ['original 16×16', 'crop 1: 12×12', 'crop 2: 12×12']
    >>> len(fig.axes[0].patches)   # one window per crop
    2
    """
    from matplotlib.patches import Rectangle

    image = _to_chw(image)
    windows = random_crop_windows(image, size=size, padding=padding, seed=seed, n=n)
    crops = [crop for crop, _ in windows]
    pictures = to_displayable([image]).unbind(0) + to_displayable(crops).unbind(0)
    titles = [f"{'original' if k == 0 else f'crop {k}:'} {p.shape[1]}×{p.shape[2]}"
              for k, p in enumerate(pictures)]
    fig = _draw(pictures, titles, ncols=min(3, len(pictures)), width=1.4, height=1.5)
    original = fig.axes[0]
    height, width = image.shape[-2:]
    original.set_xlim(-padding - 0.5, width + padding - 0.5)
    original.set_ylim(height + padding - 0.5, -padding - 0.5)
    for k, (_, box) in enumerate(windows):
        colour = _WINDOW_COLOURS[k % len(_WINDOW_COLOURS)]
        fig.axes[k + 1].title.set_color(colour)
        if box is not None:
            top, left = box
            original.add_patch(Rectangle((left - 0.5, top - 0.5), size, size, fill=False,
                                         edgecolor=colour, linewidth=1.2))
    return fig


def crop_explorer(image, *, n: int = 5):
    """A widget over ``random_crop_grid(image, ...)``: sliders for ``size``, ``padding``, ``seed``.

    >>> ex = crop_explorer(torch.rand(3, 16, 16), n=2)
    >>> sorted(ex.controls), ex.values["size"]
    (['padding', 'seed', 'size'], 12)
    """
    import functools

    import ipywidgets as w

    from .widgets import Explorer

    if not isinstance(image, torch.Tensor) or image.dim() != 3:
        raise TypeError(f"image must be a [C, H, W] tensor, got {type(image).__name__}")
    side = int(min(image.shape[-2:]))
    n = check_positive_int(n, "n")
    controls = {
        "size": w.IntSlider(value=max(1, side * 3 // 4), min=max(1, side // 2), max=side,
                            description="size"),
        "padding": w.IntSlider(value=0, min=0, max=8, description="padding"),
        "seed": w.IntSlider(value=0, min=0, max=20, description="seed"),
    }
    return Explorer(functools.partial(random_crop_grid, image, n=n), controls,
                    title="RandomCrop(size, padding): the original, then crops")
