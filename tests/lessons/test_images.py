"""Tests for batchlab.plot_image_grid: image grids, random crops and the crop explorer."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from support import slider_ends

from batchlab.lessons.images_and_transforms import (
    crop_explorer,
    plot_random_crops,
    random_crop_windows,
    random_crops,
)
from batchlab.viz.images import plot_image_grid, to_displayable


def _shown(fig):
    """The pixel arrays drawn in each visible panel."""
    return [np.asarray(ax.images[0].get_array()) for ax in fig.axes if ax.get_visible()]


def test_to_displayable_scales_uint8_and_undoes_normalize():
    x = torch.tensor([[[[0, 255]]]], dtype=torch.uint8)
    assert to_displayable(x).tolist() == [[[[0.0, 1.0]]]]
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    images = torch.rand(2, 3, 4, 4)
    normalized = (images - torch.tensor(mean).view(3, 1, 1)) / torch.tensor(std).view(3, 1, 1)
    assert torch.allclose(to_displayable(normalized, mean=mean, std=std), images, atol=1e-6)
    assert to_displayable(torch.full((1, 1, 2, 2), 3.0)).max() == 1  # clipped


@pytest.mark.parametrize("kwargs, error", [
    ({"images": "x"}, TypeError),
    ({"images": torch.zeros(2, 2, 4, 4)}, ValueError),       # 2 channels
    ({"images": torch.zeros(0, 3, 4, 4)}, ValueError),       # no image
    ({"images": torch.zeros(1, 3, 4, 4, dtype=torch.int64)}, TypeError),
    ({"images": [torch.zeros(3, 4, 4), torch.zeros(3, 5, 5)]}, ValueError),
    ({"images": torch.zeros(1, 3, 4, 4), "mean": 0.5}, ValueError),  # std missing
    ({"images": torch.zeros(1, 3, 4, 4), "mean": [0, 0], "std": [1, 1]}, ValueError),
    ({"images": torch.zeros(1, 3, 4, 4), "mean": 0, "std": 0}, ValueError),
])
def test_to_displayable_rejects_bad_input(kwargs, error):
    with pytest.raises(error):
        to_displayable(kwargs.pop("images"), **kwargs)


def test_image_grid_titles_layout_and_pixels():
    images = torch.rand(5, 3, 6, 6)
    fig = plot_image_grid(images, torch.tensor([1, 0, 1, 1, 0]), class_names=["cat", "dog"],
                          ncols=3)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 6 and not fig.axes[5].get_visible()
    assert [ax.get_title() for ax in fig.axes[:5]] == ["dog", "cat", "dog", "dog", "cat"]
    assert np.allclose(_shown(fig)[2], images[2].permute(1, 2, 0).numpy())
    assert [ax.get_title() for ax in plot_image_grid(images[:2], [7, 3]).axes] == ["7", "3"]
    assert plot_image_grid(torch.zeros(1, 1, 4, 4)).axes[0].get_title() == ""


@pytest.mark.parametrize("kwargs", [
    {"labels": [0, 1]},                               # wrong count
    {"class_names": ["a", "b"]},                      # names without labels
    {"labels": [0, 2, 1], "class_names": ["a", "b"]},  # label out of range
    {"ncols": 0},
])
def test_image_grid_rejects_bad_input(kwargs):
    with pytest.raises((ValueError, TypeError)):
        plot_image_grid(torch.rand(3, 3, 4, 4), **kwargs)


def test_random_crops_are_reproducible_and_leave_global_rng_alone():
    image = torch.rand(3, 12, 12)
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = random_crops(image, size=8, seed=1, n=4)
    after = torch.rand(1)
    assert torch.equal(before, after)  # the caller's random state is untouched
    b = random_crops(image, size=8, seed=1, n=4)
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    assert len({tuple(c.flatten()[:3].tolist()) for c in a}) > 1  # crops differ between calls
    assert all(c.shape == (3, 8, 8) for c in a)


def test_random_crops_match_torchvision_randomcrop():
    from torchvision.transforms import v2

    image = torch.arange(3 * 10 * 10, dtype=torch.float32).view(3, 10, 10)
    torch.manual_seed(5)
    crop = v2.RandomCrop(6, padding=2)
    expected = [crop(image) for _ in range(3)]
    got = random_crops(image, size=6, padding=2, seed=5, n=3)
    assert all(torch.equal(x, y) for x, y in zip(got, expected, strict=True))


def test_random_crops_accept_pil_images():
    from PIL import Image

    pil = Image.fromarray(np.zeros((9, 7, 3), dtype=np.uint8))
    crops = random_crops(pil, size=5, n=2)
    assert [tuple(c.shape) for c in crops] == [(3, 5, 5), (3, 5, 5)]
    assert crops[0].dtype == torch.uint8


@pytest.mark.parametrize("kwargs, error", [
    ({"size": 13}, ValueError),                 # larger than the image
    ({"size": 0}, ValueError),
    ({"size": 8, "padding": -1}, ValueError),
    ({"size": 8, "n": 0}, ValueError),
    ({"size": 8.5}, TypeError),
])
def test_random_crops_reject_bad_input(kwargs, error):
    with pytest.raises(error):
        random_crops(torch.rand(3, 12, 12), **kwargs)
    with pytest.raises(TypeError):
        random_crops(torch.rand(12, 12), size=4)


def test_random_crop_grid_shows_original_then_crops():
    image = torch.rand(3, 12, 12)
    fig = plot_random_crops(image, size=8, seed=0, n=4)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == ["original 12×12"] + [f"crop {k}: 8×8" for k in range(1, 5)]
    assert np.allclose(_shown(fig)[0], image.permute(1, 2, 0).numpy())


def test_crop_explorer_every_control_at_both_ends_changes_the_picture():
    torch.manual_seed(0)
    image = torch.rand(3, 16, 16)
    explorer = crop_explorer(image, n=3)
    for name, control in explorer.controls.items():
        pictures = []
        for value in slider_ends(control):
            control.value = value
            assert explorer.values[name] == value
            assert isinstance(explorer.last_result, Figure)
            pictures.append(_shown(explorer.last_result))
        low, high = pictures
        changed = [a.shape != b.shape or not np.array_equal(a, b)
                   for a, b in zip(low[1:], high[1:], strict=True)]
        assert any(changed), f"moving {name} from end to end changed nothing"
        control.value = slider_ends(control)[0]


def test_crop_explorer_full_size_without_padding_is_the_original():
    image = torch.rand(3, 16, 16)
    explorer = crop_explorer(image, n=2)
    explorer.controls["padding"].value = 0
    explorer.controls["size"].value = 16
    original, *crops = _shown(explorer.last_result)
    assert all(np.array_equal(c, original) for c in crops)


def test_crop_explorer_rejects_non_image():
    with pytest.raises(TypeError):
        crop_explorer("image")


@pytest.mark.parametrize("padding", [0, 3])
def test_crop_windows_say_where_each_crop_came_from(padding):
    image = torch.rand(3, 12, 10)
    padded = torch.nn.functional.pad(image, [padding] * 4)
    windows = random_crop_windows(image, size=7, padding=padding, seed=2, n=6)
    crops = random_crops(image, size=7, padding=padding, seed=2, n=6)
    assert all(torch.equal(a, b) for (a, _), b in zip(windows, crops, strict=True))
    for crop, (top, left) in windows:
        t, s = top + padding, left + padding
        assert torch.equal(crop, padded[:, t:t + 7, s:s + 7])


def test_crop_grid_draws_one_window_per_crop_inside_the_padded_frame():
    fig = plot_random_crops(torch.rand(3, 16, 16), size=10, padding=2, seed=1, n=3)
    original = fig.axes[0]
    assert len(original.patches) == 3
    assert original.get_xlim() == (-2.5, 17.5)
    from matplotlib.colors import to_rgba

    for patch, ax in zip(original.patches, fig.axes[1:4], strict=True):
        assert patch.get_edgecolor() == to_rgba(ax.title.get_color())
