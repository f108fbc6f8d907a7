"""Classification heads used by the official PP-TSM configs.

* :class:`PPTSMHead` is PaddleVideo's ``ppTSMHead`` (PP-TSM R50): global average pool,
  dropout, mean over the frames of a clip, then one ``fc`` layer. Dropout uses Paddle's
  default ``upscale_in_train`` mode, so it is the identity at inference.
* :class:`PassThroughHead` plays PaddleVideo's ``MoViNetHead`` (used by the PP-TSMv2
  configs, whose backbone already ends in the classifier): no parameters, returns its
  input unchanged.
"""

from __future__ import annotations

import paddle
from paddle import nn


class PPTSMHead(nn.Layer):
    """Pool, drop out, average the frames and classify.

    Args:
        num_classes: Number of classes.
        in_channels: Channels of the backbone's feature map.
        num_seg: Frames per clip (used when ``forward`` is not told).
        drop_ratio: Dropout probability during training.
    """

    def __init__(
        self,
        num_classes: int = 400,
        in_channels: int = 2048,
        num_seg: int = 8,
        drop_ratio: float = 0.5,
    ) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.num_seg = num_seg
        self.avgpool2d = nn.AdaptiveAvgPool2D((1, 1))
        self.dropout = nn.Dropout(p=drop_ratio) if drop_ratio else None
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, x: paddle.Tensor, num_seg: int | None = None) -> paddle.Tensor:
        """Turn ``[N*T, C, h, w]`` feature maps into ``[N, num_classes]`` logits."""
        x = self.avgpool2d(x)
        if self.dropout is not None:
            x = self.dropout(x)
        segments = num_seg if num_seg is not None else self.num_seg
        x = paddle.reshape(x, [-1, segments, x.shape[1]])
        x = paddle.reshape(paddle.mean(x, axis=1), [-1, self.in_channels])
        return self.fc(x)


class PassThroughHead(nn.Layer):
    """Parameter-free head for backbones that already output logits."""

    def forward(self, x: paddle.Tensor, num_seg: int | None = None) -> paddle.Tensor:
        """Return ``x`` unchanged (``num_seg`` is accepted for interface parity)."""
        del num_seg
        return x
