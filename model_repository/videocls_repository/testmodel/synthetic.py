"""Deterministic synthetic images used to calibrate the generated weights.

Four kinds of ``224x224`` RGB images which together cover low and high spatial
frequencies, flat regions and sharp edges (calibrating on smooth content only would leave
high-frequency channels with a tiny running variance, and a sharp video would then blow
them up):

* ``smooth``: multi-octave noise with a 1/f-like spectrum;
* ``shapes``: a flat background with a few coloured rectangles and discs;
* ``fine``: the same kind of noise with octaves down to the pixel scale;
* ``gratings``: two oriented sinusoidal gratings of random frequency and colour.

Every frame of the calibration batch is a different image: batch-norm statistics only
need the distribution of single frames, and independent frames give far more diversity
per forward pass than temporally coherent clips. Frames are returned already normalised
with the ImageNet mean/std, i.e. as PaddleX feeds the network.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
CROP = 224
_SMOOTH_OCTAVES = (3, 6, 12, 24, 48)
_FINE_OCTAVES = (6, 24, 96, CROP)

Image = np.ndarray  # [H, W, 3] float in [0, 1]


def _upsample(grid: np.ndarray, size: int) -> np.ndarray:
    """Bilinearly resize a square ``[g, g, C]`` grid to ``[size, size, C]``."""
    g = grid.shape[0]
    coords = np.linspace(0.0, g - 1.0, size)
    lo = np.floor(coords).astype(int)
    hi = np.minimum(lo + 1, g - 1)
    frac = (coords - lo)[:, None]
    rows = grid[lo] * (1.0 - frac[..., None]) + grid[hi] * frac[..., None]
    return rows[:, lo] * (1.0 - frac[None]) + rows[:, hi] * frac[None]


def _squash(field: np.ndarray, rng: np.random.Generator) -> Image:
    """Mix colour channels randomly and map the field to ``[0, 1]`` with a sigmoid."""
    field = field @ rng.standard_normal((3, 3))
    return 1.0 / (1.0 + np.exp(-1.5 * field / field.std()))


def _noise(rng: np.random.Generator, octaves: tuple[int, ...]) -> Image:
    """Sum of bilinearly upsampled random grids, octave ``g`` weighted by ``1/sqrt(g)``."""
    field = np.zeros((CROP, CROP, 3))
    for octave in octaves:
        field += _upsample(rng.standard_normal((octave, octave, 3)), CROP) / np.sqrt(octave)
    return _squash(field, rng)


def _smooth_image(rng: np.random.Generator) -> Image:
    """Large-scale noise."""
    return _noise(rng, _SMOOTH_OCTAVES)


def _fine_image(rng: np.random.Generator) -> Image:
    """Noise with structure down to single pixels."""
    return _noise(rng, _FINE_OCTAVES)


def _shape_image(rng: np.random.Generator) -> Image:
    """Flat-coloured rectangles and discs on a flat background."""
    yy, xx = np.mgrid[0:CROP, 0:CROP]
    image = np.broadcast_to(rng.uniform(0.0, 1.0, size=3), (CROP, CROP, 3)).copy()
    for _ in range(int(rng.integers(2, 6))):
        cy, cx = rng.uniform(0, CROP, size=2)
        radius = rng.uniform(15, 60)
        if rng.integers(2):
            mask = (yy - cy) ** 2 + (xx - cx) ** 2 < radius**2
        else:
            mask = (np.abs(yy - cy) < radius) & (np.abs(xx - cx) < radius * 0.7)
        image[mask] = rng.uniform(0.0, 1.0, size=3)
    return image


def _grating_image(rng: np.random.Generator) -> Image:
    """Two coloured sinusoidal gratings of 1 to 60 cycles per image."""
    yy, xx = np.mgrid[0:CROP, 0:CROP] / CROP
    field = np.zeros((CROP, CROP, 3))
    for _ in range(2):
        angle = rng.uniform(0.0, np.pi)
        cycles = np.exp(rng.uniform(0.0, np.log(60.0)))
        phase = rng.uniform(0.0, 2 * np.pi)
        wave = np.sin(2 * np.pi * cycles * (xx * np.cos(angle) + yy * np.sin(angle)) + phase)
        field += wave[..., None] * rng.standard_normal(3)
    return 1.0 / (1.0 + np.exp(-field))


_KINDS: tuple[Callable[[np.random.Generator], Image], ...] = (
    _smooth_image,
    _shape_image,
    _fine_image,
    _grating_image,
)


def calibration_batch(num_frames: int, num_seg: int, seed: int) -> np.ndarray:
    """Make a normalised calibration batch of independent frames, grouped into clips.

    Args:
        num_frames: Total frames; a multiple of ``num_seg``.
        num_seg: Frames per clip.
        seed: Random seed; the same seed always gives the same batch.

    Returns:
        ``[num_frames // num_seg, num_seg, 3, 224, 224]`` float32, ImageNet-normalised,
        the frame kinds cycling smooth, shapes, fine, gratings.

    Raises:
        ValueError: ``num_frames`` is not a positive multiple of ``num_seg``.
    """
    if num_frames <= 0 or num_frames % num_seg:
        raise ValueError(f"num_frames={num_frames} is not a multiple of num_seg={num_seg}")
    rng = np.random.default_rng(seed)
    images = np.stack([_KINDS[i % len(_KINDS)](rng) for i in range(num_frames)])
    normalised = (images.astype(np.float32) - IMAGENET_MEAN) / IMAGENET_STD
    clips = normalised.reshape(num_frames // num_seg, num_seg, CROP, CROP, 3)
    return np.ascontiguousarray(clips.transpose(0, 1, 4, 2, 3))
