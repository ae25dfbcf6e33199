"""Where a random crop lands: the crops figure and widget of ``02_images_and_transforms``.

Each figure function returns a closed matplotlib ``Figure``; end a notebook cell with it to
show it once.

>>> import torch
>>> len(random_crops(torch.rand(3, 8, 8), size=4, n=3))
3
"""

from __future__ import annotations

import torch

from batchlab._checks import check_int, check_positive_int
from batchlab.viz.images import _draw, to_displayable


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


def plot_random_crops(image, *, size: int, padding: int = 0, seed: int = 0, n: int = 5):
    """The image with each crop's window drawn on it, then ``n`` random crops; a closed ``Figure``.

    The crops are those of :func:`random_crops`; window ``k`` on the original has the
    colour of the title of crop ``k``. With ``padding`` the original panel shows the
    padded frame, so windows that start in the padding are drawn where they lie.

    >>> image = torch.rand(3, 16, 16)
    >>> fig = plot_random_crops(image, size=12, n=2)
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
    """A widget over ``plot_random_crops(image, ...)``: sliders for ``size``, ``padding``, ``seed``.

    >>> ex = crop_explorer(torch.rand(3, 16, 16), n=2)
    >>> sorted(ex.controls), ex.values["size"]
    (['padding', 'seed', 'size'], 12)
    """
    import functools

    import ipywidgets as w

    from batchlab.viz.widgets import Explorer

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
    return Explorer(functools.partial(plot_random_crops, image, n=n), controls,
                    title="RandomCrop(size, padding): the original, then crops")
