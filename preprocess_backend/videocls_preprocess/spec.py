"""Typed, validated settings of the preprocessing step.

A :class:`PreprocessSpec` is built from a PaddleX ``inference.yml`` (by the converter) or from
the parameters of the decode model's ``config.pbtxt`` (inside Triton); nothing in the
decode/transform code is hard-coded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from .errors import VideoclsError

MIB = 1024 * 1024


@dataclass(frozen=True)
class PreprocessSpec:
    """What PaddleX's video-classification preprocessing does for one model.

    Attributes:
        num_seg: Number of uniformly sampled segments (``ReadVideo.num_seg``).
        seg_len: Consecutive frames taken per segment (``ReadVideo.seg_len``).
        short_size: Target short side of ``Scale`` (fixed 4:3 ratio, as PaddleX).
        crop_size: Side of the square ``CenterCrop``.
        mean: Per-channel mean of ``NormalizeVideo`` (RGB, on 0..1 values).
        std: Per-channel std of ``NormalizeVideo``.
        sample_type: ``ReadVideo.sample_type``; only ``"uniform"`` is supported.
    """

    num_seg: int
    short_size: int
    crop_size: int
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    seg_len: int = 1
    sample_type: str = "uniform"

    def __post_init__(self) -> None:
        for name in ("num_seg", "seg_len", "short_size", "crop_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise VideoclsError(f"PreprocessSpec.{name} must be a positive int, got {value!r}")
        if self.crop_size > self.short_size:
            raise VideoclsError(
                f"crop_size {self.crop_size} is larger than short_size {self.short_size}"
            )
        if self.sample_type != "uniform":
            raise VideoclsError(f"sample_type {self.sample_type!r} is not supported (uniform only)")
        object.__setattr__(self, "mean", _triple("mean", self.mean))
        object.__setattr__(self, "std", _triple("std", self.std))
        if any(s <= 0 for s in self.std):
            raise VideoclsError(f"std must be positive, got {self.std}")

    @property
    def frames_per_video(self) -> int:
        """Frames fed to the network per video (``num_seg * seg_len``)."""
        return self.num_seg * self.seg_len

    def to_parameters(self) -> dict[str, str]:
        """Flat string parameters for a Triton ``config.pbtxt``."""
        out = {}
        for key, value in asdict(self).items():
            out[key] = ",".join(repr(v) for v in value) if isinstance(value, tuple) else str(value)
        return out

    @classmethod
    def from_parameters(cls, params: Mapping[str, str]) -> PreprocessSpec:
        """Inverse of :meth:`to_parameters` (extra keys are ignored)."""
        try:
            return cls(
                num_seg=int(params["num_seg"]),
                seg_len=int(params.get("seg_len", "1")),
                short_size=int(params["short_size"]),
                crop_size=int(params["crop_size"]),
                mean=tuple(float(v) for v in params["mean"].split(",")),
                std=tuple(float(v) for v in params["std"].split(",")),
                sample_type=params.get("sample_type", "uniform"),
            )
        except (KeyError, ValueError) as exc:
            raise VideoclsError(f"bad preprocessing parameters {dict(params)}: {exc}") from exc


@dataclass(frozen=True)
class InputLimits:
    """Bounds that protect the server from hostile uploads.

    Attributes:
        max_bytes: Largest accepted encoded video, in bytes (default 256 MiB).
        max_side: Largest accepted frame width or height, in pixels (default 4096).
        max_frames: Largest accepted frame count (packets) of the video stream.
        timeout_s: Wall-clock bound on demuxing + decoding one video.
    """

    max_bytes: int = 256 * MIB
    max_side: int = 4096
    max_frames: int = 200_000
    timeout_s: float = 60.0

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_side", "max_frames"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise VideoclsError(f"InputLimits.{name} must be a positive int, got {value!r}")
        if not self.timeout_s > 0:
            raise VideoclsError(f"InputLimits.timeout_s must be > 0, got {self.timeout_s!r}")

    def to_parameters(self) -> dict[str, str]:
        """Flat string parameters for a Triton ``config.pbtxt``."""
        return {f"limit_{k}": str(v) for k, v in asdict(self).items()}

    @classmethod
    def from_parameters(cls, params: Mapping[str, str]) -> InputLimits:
        """Inverse of :meth:`to_parameters`; missing keys keep their defaults."""
        kwargs: dict[str, float | int] = {}
        for key, default in asdict(cls()).items():
            raw = params.get(f"limit_{key}")
            if raw is not None:
                kwargs[key] = type(default)(float(raw)) if isinstance(default, int) else float(raw)
        return cls(**kwargs)


def _triple(name: str, values: object) -> tuple[float, float, float]:
    try:
        out = tuple(float(v) for v in values)  # type: ignore[union-attr]
    except (TypeError, ValueError) as exc:
        raise VideoclsError(f"{name} must be 3 numbers, got {values!r}") from exc
    if len(out) != 3:
        raise VideoclsError(f"{name} must be 3 numbers, got {values!r}")
    return out  # type: ignore[return-value]
