"""PaddleVideo's ``Recognizer2D`` framework and the three PaddleX model definitions.

The recognizer folds the clip axis into the batch (``[N, T, 3, H, W] -> [N*T, 3, H, W]``),
runs the backbone and hands the features and ``T`` to the head. Its ``forward`` takes a
*list* of tensors (PaddleVideo's ``data_batch``) so that the exported static graph names
its only input ``data_batch_0`` exactly as the official PaddleX exports do.
"""

from __future__ import annotations

from dataclasses import dataclass

import paddle
from paddle import nn

from .heads import PassThroughHead, PPTSMHead
from .pptsm_v2 import PPTSMv2LCNet
from .resnet_tweaks_tsm import ResNetTweaksTSM

NUM_CLASSES = 400


class Recognizer2D(nn.Layer):
    """Backbone + head over clips of 2-D frames.

    Args:
        backbone: Layer mapping ``[N*T, 3, H, W]`` frames to features (or logits).
        head: Layer mapping ``(features, T)`` to ``[N, classes]`` logits.
    """

    def __init__(self, backbone: nn.Layer, head: nn.Layer) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = head

    def forward(self, data_batch: list[paddle.Tensor]) -> paddle.Tensor:
        """Classify the clips in ``data_batch[0]`` (``[N, T, 3, H, W]``, normalised)."""
        clips = data_batch[0]
        num_seg = clips.shape[1]
        frames = paddle.reshape(clips, [-1, *clips.shape[2:]])
        return self.head(self.backbone(frames), num_seg)


@dataclass(frozen=True)
class ModelSpec:
    """What distinguishes one PaddleX video-classification model from another.

    Attributes:
        name: PaddleX model name.
        arch: ``"pptsm_r50"`` or ``"pptsm_v2"``.
        num_seg: Frames sampled per clip.
    """

    name: str
    arch: str
    num_seg: int


MODEL_SPECS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("PP-TSM-R50_8frames_uniform", "pptsm_r50", 8),
        ModelSpec("PP-TSMv2-LCNetV2_8frames_uniform", "pptsm_v2", 8),
        ModelSpec("PP-TSMv2-LCNetV2_16frames_uniform", "pptsm_v2", 16),
    )
}


def build_recognizer(spec: ModelSpec) -> Recognizer2D:
    """Instantiate the (untrained) network of ``spec``.

    Args:
        spec: The model to build.

    Returns:
        The recognizer, in training mode with Paddle's default initialisation.

    Raises:
        ValueError: ``spec.arch`` is unknown.
    """
    # Each network gets a fresh parameter-name scope: the R50 layers carry fixed
    # parameter names (as the official network does), which Paddle refuses to create
    # twice in one scope.
    with paddle.utils.unique_name.guard():
        return _build(spec)


def _build(spec: ModelSpec) -> Recognizer2D:
    """Instantiate the network of ``spec`` in the current name scope."""
    if spec.arch == "pptsm_r50":
        return Recognizer2D(
            ResNetTweaksTSM(num_seg=spec.num_seg),
            PPTSMHead(NUM_CLASSES, 2048, num_seg=spec.num_seg),
        )
    if spec.arch == "pptsm_v2":
        return Recognizer2D(
            PPTSMv2LCNet(num_seg=spec.num_seg, class_num=NUM_CLASSES), PassThroughHead()
        )
    raise ValueError(f"unknown architecture {spec.arch!r}")
