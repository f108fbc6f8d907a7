"""ResNet-vd backbone with temporal shift (PaddleVideo ``ResNetTweaksTSM``), depth 50.

Layout, attribute names and activations follow PaddleVideo's ``ResNetTweaksTSM`` so that
an official PP-TSM checkpoint loads with ``set_state_dict`` without missing or unexpected
keys:

* the stem is three 3x3 conv-BN-leaky_relu layers (``conv1_1`` .. ``conv1_3``) and a
  3x3/2 max pool;
* sixteen bottleneck blocks registered as ``bb_{stage}_{index}``, each applying a temporal
  shift (1/num_seg of the channels each way) before its first 1x1 convolution;
* projection shortcuts use the ResNet-D trick: a 2x2/2 average pool in front of a stride-1
  1x1 convolution (except for the very first block, whose input is not down-sampled).

Conv and BN parameters carry the same static-graph names as the official network
(``res2a_branch2a_weights``, ``bn2a_branch2a_scale`` and so on).
"""

from __future__ import annotations

import paddle
import paddle.nn.functional as F
from paddle import nn

STAGE_DEPTHS_R50: tuple[int, ...] = (3, 4, 6, 3)
STAGE_WIDTHS: tuple[int, ...] = (64, 128, 256, 512)
BOTTLENECK_EXPANSION = 4


def _bn_param_prefix(conv_name: str) -> str:
    """Return the static-graph name prefix PaddleVideo gives a conv's batch norm.

    Args:
        conv_name: The conv layer's name, e.g. ``"res2a_branch2a"`` or ``"conv1_1"``.

    Returns:
        ``"bn_conv1"`` for ``"conv1"``, otherwise ``"bn"`` followed by the name
        without its three-letter prefix (``"bn2a_branch2a"``, ``"bn1_1"``).
    """
    if conv_name == "conv1":
        return "bn_" + conv_name
    return "bn" + conv_name[3:]


class ConvBNLayer(nn.Layer):
    """Convolution without bias, batch norm and an optional activation.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        kernel_size: Square kernel size; padding keeps the spatial size at stride 1.
        name: Static-graph name of the conv weight (without the ``_weights`` suffix).
        stride: Convolution stride.
        is_tweaks_mode: Apply a 2x2/2 average pool (ceil mode) before the convolution.
        act: Name of a ``paddle.nn.functional`` activation, or ``None``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        name: str,
        stride: int = 1,
        is_tweaks_mode: bool = False,
        act: str | None = None,
    ) -> None:
        super().__init__()
        self.is_tweaks_mode = is_tweaks_mode
        self._act = act
        self._pool2d_avg = nn.AvgPool2D(kernel_size=2, stride=2, padding=0, ceil_mode=True)
        self._conv = nn.Conv2D(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=(kernel_size - 1) // 2,
            weight_attr=paddle.ParamAttr(name=f"{name}_weights"),
            bias_attr=False,
        )
        bn_name = _bn_param_prefix(name)
        self._batch_norm = nn.BatchNorm2D(
            out_channels,
            weight_attr=paddle.ParamAttr(name=f"{bn_name}_scale"),
            bias_attr=paddle.ParamAttr(name=f"{bn_name}_offset"),
        )

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        """Run pool (tweaks mode only), conv, BN and the activation."""
        if self.is_tweaks_mode:
            x = self._pool2d_avg(x)
        y = self._batch_norm(self._conv(x))
        if self._act:
            y = getattr(F, self._act)(y)
        return y


class BottleneckBlock(nn.Layer):
    """Temporal-shift bottleneck: shift, 1x1 -> 3x3 (strided) -> 1x1, residual add.

    Args:
        in_channels: Input channels.
        width: Bottleneck width; the block outputs ``4 * width`` channels.
        stride: Stride of the 3x3 convolution (and down-sampling of the shortcut).
        name: Block name, e.g. ``"res3a"``; used for the static-graph parameter names.
        num_seg: Frames per clip, for the temporal shift.
        shortcut: ``True`` for an identity shortcut, ``False`` for a projection.
        if_first: The very first block, whose projection shortcut is not pooled.
    """

    def __init__(
        self,
        in_channels: int,
        width: int,
        stride: int,
        name: str,
        num_seg: int,
        shortcut: bool,
        if_first: bool,
    ) -> None:
        super().__init__()
        out_channels = width * BOTTLENECK_EXPANSION
        self.num_seg = num_seg
        self.shortcut = shortcut
        self.conv0 = ConvBNLayer(in_channels, width, 1, f"{name}_branch2a", act="leaky_relu")
        self.conv1 = ConvBNLayer(
            width, width, 3, f"{name}_branch2b", stride=stride, act="leaky_relu"
        )
        self.conv2 = ConvBNLayer(width, out_channels, 1, f"{name}_branch2c")
        if not shortcut:
            self.short = ConvBNLayer(
                in_channels,
                out_channels,
                1,
                f"{name}_branch1",
                is_tweaks_mode=not if_first,
            )

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        """Shift frames, run the residual branch and add the shortcut."""
        shifted = F.temporal_shift(x, self.num_seg, 1.0 / self.num_seg)
        branch = self.conv2(self.conv1(self.conv0(shifted)))
        short = x if self.shortcut else self.short(x)
        return F.leaky_relu(paddle.add(short, branch))


def _block_name(stage: int, index: int) -> str:
    """Return the classic ResNet block name (``res2a``, ``res3b``...) for R50."""
    return f"res{stage + 2}{chr(ord('a') + index)}"


class ResNetTweaksTSM(nn.Layer):
    """ResNet50-vd TSM feature extractor: ``[N*T, 3, H, W] -> [N*T, 2048, H/32, W/32]``.

    Args:
        num_seg: Frames per clip.
    """

    def __init__(self, num_seg: int = 8) -> None:
        super().__init__()
        self.num_seg = num_seg
        self.conv1_1 = ConvBNLayer(3, 32, 3, "conv1_1", stride=2, act="leaky_relu")
        self.conv1_2 = ConvBNLayer(32, 32, 3, "conv1_2", act="leaky_relu")
        self.conv1_3 = ConvBNLayer(32, 64, 3, "conv1_3", act="leaky_relu")
        self.pool2D_max = nn.MaxPool2D(kernel_size=3, stride=2, padding=1)
        self.block_list: list[BottleneckBlock] = []
        self._build_blocks()

    def _build_blocks(self) -> None:
        """Create the bottleneck blocks and register them as ``bb_{stage}_{index}``."""
        in_channels = STAGE_WIDTHS[0]
        for stage, depth in enumerate(STAGE_DEPTHS_R50):
            width = STAGE_WIDTHS[stage]
            for index in range(depth):
                block = BottleneckBlock(
                    in_channels=in_channels,
                    width=width,
                    stride=2 if index == 0 and stage != 0 else 1,
                    name=_block_name(stage, index),
                    num_seg=self.num_seg,
                    shortcut=index != 0,
                    if_first=stage == 0 and index == 0,
                )
                self.block_list.append(self.add_sublayer(f"bb_{stage}_{index}", block))
                in_channels = width * BOTTLENECK_EXPANSION

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        """Extract the final feature map of every frame."""
        y = self.conv1_3(self.conv1_2(self.conv1_1(x)))
        y = self.pool2D_max(y)
        for block in self.block_list:
            y = block(y)
        return y
