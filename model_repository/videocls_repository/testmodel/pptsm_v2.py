"""PP-TSMv2 backbone: PP-LCNetV2-base with temporal attention, temporal shift and classifier.

Mirrors PaddleVideo's ``PPTSM_v2`` (``PPTSM_v2_LCNet`` with scale 1.0, depths 2/2/6/2,
``class_expand`` 1280, dropout 0.2 in ``downscale_in_infer`` mode); attribute names are
the official ones so an official PP-TSMv2 checkpoint loads with ``set_state_dict``.

Structure:

* ``stem``: 3x3/2 conv-BN-ReLU (3 -> 32) and a depthwise-separable block (32 -> 64);
* ``stages``: four stages of depthwise-separable blocks (64 -> 128 -> 256 -> 512 -> 1024).
  Stages 3 and 4 use re-parameterisable depthwise convolutions: during training the
  depthwise conv is a sum of conv-BN branches of kernel 5, 3 and 1 (the 1x1 branch only at
  stride 1); :meth:`RepDepthwiseSeparable.rep` folds them into the single biased ``dw_conv``
  that the exported inference graph uses. Stage 3 also has squeeze-excitation and a split
  pointwise conv, stage 4 an identity shortcut where shapes allow;
* before stage 3: the lightweight temporal attention (``global_attention``) and a temporal
  shift of 1/num_seg of the channels each way;
* ``avg_pool`` -> ``last_conv`` (1x1, 1024 -> 1280) -> ReLU -> dropout -> mean over the
  frames -> ``fc`` (1280 -> classes). The backbone therefore outputs logits itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import paddle
import paddle.nn.functional as F
from paddle import nn

STEM_CHANNELS = 32
CLASS_EXPAND = 1280
DROPOUT_PROB = 0.2
STAGE_DEPTHS: tuple[int, ...] = (2, 2, 6, 2)
# Stage index (0-based) in front of which temporal attention and the shift are applied.
TEMPORAL_STAGE = 2


@dataclass(frozen=True)
class StageConfig:
    """One PP-LCNetV2 stage (PaddleVideo's ``NET_CONFIG`` row).

    Attributes:
        in_channels: Input channels of the stage (it outputs twice as many).
        kernel_size: Depthwise kernel size.
        split_pw: Split the pointwise conv into two halves (``pw_conv_1``/``pw_conv_2``).
        use_rep: Use re-parameterisable multi-branch depthwise convs.
        use_se: Add squeeze-excitation after the depthwise conv.
        use_shortcut: Add an identity shortcut where stride and channels allow.
    """

    in_channels: int
    kernel_size: int
    split_pw: bool
    use_rep: bool
    use_se: bool
    use_shortcut: bool


STAGES: tuple[StageConfig, ...] = (
    StageConfig(64, 3, False, False, False, False),
    StageConfig(128, 3, False, False, False, False),
    StageConfig(256, 5, True, True, True, False),
    StageConfig(512, 5, False, True, False, True),
)


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round ``value`` to a multiple of ``divisor``, never more than 10 % below it."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


class GlobalAttention(nn.Layer):
    """Lightweight temporal attention: one sigmoid weight per frame from pooled features.

    Args:
        num_seg: Frames per clip.
    """

    def __init__(self, num_seg: int) -> None:
        super().__init__()
        self.num_seg = num_seg
        self.fc = nn.Linear(num_seg, num_seg)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        """Scale every frame's feature map by its attention weight."""
        _, channels, height, width = x.shape
        pooled = x.reshape([-1, self.num_seg, channels * height * width])
        pooled = F.adaptive_avg_pool1d(pooled, 1).squeeze(axis=-1)
        weights = F.sigmoid(self.fc(pooled)).reshape([-1, self.num_seg, 1, 1, 1])
        frames = x.reshape([-1, self.num_seg, channels, height, width])
        return paddle.multiply(frames, weights).reshape([-1, channels, height, width])


class ConvBNLayer(nn.Layer):
    """Convolution without bias, batch norm and optional ReLU (attributes ``conv``/``bn``).

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        kernel_size: Square kernel size; padding keeps the spatial size at stride 1.
        stride: Convolution stride.
        groups: Convolution groups (``in_channels`` for depthwise).
        use_act: Apply ReLU after batch norm.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int,
        groups: int = 1,
        use_act: bool = True,
    ) -> None:
        super().__init__()
        self.use_act = use_act
        self.conv = nn.Conv2D(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=(kernel_size - 1) // 2,
            groups=groups,
            bias_attr=False,
        )
        self.bn = nn.BatchNorm2D(out_channels)
        if use_act:
            self.act = nn.ReLU()

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        """Run conv, BN and (optionally) ReLU."""
        x = self.bn(self.conv(x))
        return self.act(x) if self.use_act else x


class SEModule(nn.Layer):
    """Squeeze-excitation with a 4x channel reduction and a sigmoid gate.

    Args:
        channels: Channels of the gated feature map.
        reduction: Channel reduction of the bottleneck.
    """

    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2D(1)
        self.conv1 = nn.Conv2D(channels, channels // reduction, 1)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2D(channels // reduction, channels, 1)
        self.hardsigmoid = nn.Sigmoid()

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        """Gate every channel of ``x`` by its squeeze-excitation weight."""
        gate = self.hardsigmoid(self.conv2(self.relu(self.conv1(self.avg_pool(x)))))
        return paddle.multiply(x, gate)


class RepDepthwiseSeparable(nn.Layer):
    """PP-LCNetV2 block: depthwise conv (optionally multi-branch), SE, pointwise conv.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        stride: Depthwise stride.
        dw_size: Depthwise kernel size.
        split_pw: Use two pointwise convs (to ``out/2``, then to ``out``).
        use_rep: Use the re-parameterisable branches (kernels dw_size, dw_size-2, ..., 1).
        use_se: Add squeeze-excitation.
        use_shortcut: Add the input to the output when stride is 1 and channels match.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int,
        dw_size: int = 3,
        split_pw: bool = False,
        use_rep: bool = False,
        use_se: bool = False,
        use_shortcut: bool = False,
    ) -> None:
        super().__init__()
        self.is_repped = False
        self.dw_size = dw_size
        self.split_pw = split_pw
        self.use_rep = use_rep
        self.use_se = use_se
        self.use_shortcut = use_shortcut and stride == 1 and in_channels == out_channels
        if use_rep:
            self.dw_conv_list = nn.LayerList(
                [
                    ConvBNLayer(in_channels, in_channels, k, stride, in_channels, use_act=False)
                    for k in range(dw_size, 0, -2)
                    if not (k == 1 and stride != 1)
                ]
            )
            self.dw_conv = nn.Conv2D(
                in_channels,
                in_channels,
                dw_size,
                stride=stride,
                padding=(dw_size - 1) // 2,
                groups=in_channels,
            )
        else:
            self.dw_conv = ConvBNLayer(in_channels, in_channels, dw_size, stride, in_channels)
        self.act = nn.ReLU()
        if use_se:
            self.se = SEModule(in_channels)
        if split_pw:
            half = int(out_channels * 0.5)
            self.pw_conv_1 = ConvBNLayer(in_channels, half, 1, 1)
            self.pw_conv_2 = ConvBNLayer(half, out_channels, 1, 1)
        else:
            self.pw_conv = ConvBNLayer(in_channels, out_channels, 1, 1)

    def _depthwise(self, x: paddle.Tensor) -> paddle.Tensor:
        """Apply the depthwise part (branch sum + ReLU, fused conv + ReLU, or conv-BN-ReLU)."""
        if not self.use_rep:
            return self.dw_conv(x)
        if self.is_repped:
            return self.act(self.dw_conv(x))
        total = self.dw_conv_list[0](x)
        for branch in self.dw_conv_list[1:]:
            total = total + branch(x)
        return self.act(total)

    def _pointwise(self, x: paddle.Tensor) -> paddle.Tensor:
        """Apply the (possibly split) pointwise convolution."""
        if self.split_pw:
            return self.pw_conv_2(self.pw_conv_1(x))
        return self.pw_conv(x)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        """Run depthwise, SE, pointwise and the shortcut."""
        y = self._depthwise(x)
        if self.use_se:
            y = self.se(y)
        y = self._pointwise(y)
        return y + x if self.use_shortcut else y

    def rep(self) -> None:
        """Fold the depthwise branches into ``dw_conv`` (as PaddleVideo's export does)."""
        if not self.use_rep:
            return
        kernel, bias = self._equivalent_kernel_bias()
        self.dw_conv.weight.set_value(kernel)
        self.dw_conv.bias.set_value(bias)
        self.is_repped = True

    def _equivalent_kernel_bias(self) -> tuple[paddle.Tensor, paddle.Tensor]:
        """Sum the BN-folded branch kernels (zero-padded to ``dw_size``) and biases."""
        kernel_sum = paddle.zeros_like(self.dw_conv.weight)
        bias_sum = paddle.zeros_like(self.dw_conv.bias)
        for branch in self.dw_conv_list:
            kernel, bias = _fold_bn(branch)
            pad = (self.dw_size - kernel.shape[-1]) // 2
            if pad:
                kernel = F.pad(kernel, [pad, pad, pad, pad])
            kernel_sum = kernel_sum + kernel
            bias_sum = bias_sum + bias
        return kernel_sum, bias_sum


def _fold_bn(branch: ConvBNLayer) -> tuple[paddle.Tensor, paddle.Tensor]:
    """Return the kernel and bias of ``branch``'s conv with its inference BN folded in."""
    bn = branch.bn
    scale = bn.weight / paddle.sqrt(bn._variance + bn._epsilon)
    kernel = branch.conv.weight * scale.reshape([-1, 1, 1, 1])
    return kernel, bn.bias - bn._mean * scale


class PPTSMv2LCNet(nn.Layer):
    """PP-TSMv2 network body and classifier: ``[N*T, 3, H, W] -> [N, class_num]`` logits.

    Args:
        num_seg: Frames per clip.
        class_num: Number of classes.
    """

    def __init__(self, num_seg: int = 8, class_num: int = 400) -> None:
        super().__init__()
        self.num_seg = num_seg
        self.class_expand = CLASS_EXPAND
        self.stem = nn.Sequential(
            ConvBNLayer(3, STEM_CHANNELS, 3, 2),
            RepDepthwiseSeparable(STEM_CHANNELS, 2 * STEM_CHANNELS, 1, dw_size=3),
        )
        self.stages = nn.LayerList(
            [_make_stage(cfg, depth) for cfg, depth in zip(STAGES, STAGE_DEPTHS, strict=True)]
        )
        self.avg_pool = nn.AdaptiveAvgPool2D(1)
        last_channels = make_divisible(STAGES[-1].in_channels * 2)
        self.last_conv = nn.Conv2D(last_channels, CLASS_EXPAND, 1, bias_attr=False)
        self.act = nn.ReLU()
        self.dropout = nn.Dropout(p=DROPOUT_PROB, mode="downscale_in_infer")
        self.flatten = nn.Flatten(start_axis=1, stop_axis=-1)
        self.fc = nn.Linear(CLASS_EXPAND, class_num)
        self.global_attention = GlobalAttention(num_seg)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        """Compute clip logits from the frames of ``N`` clips."""
        x = self.stem(x)
        for index, stage in enumerate(self.stages):
            if index == TEMPORAL_STAGE:
                x = self.global_attention(x)
                x = F.temporal_shift(x, self.num_seg, 1.0 / self.num_seg)
            x = stage(x)
        x = self.dropout(self.act(self.last_conv(self.avg_pool(x))))
        x = paddle.reshape(x, [-1, self.num_seg, x.shape[1]])
        x = paddle.reshape(paddle.mean(x, axis=1), [-1, self.class_expand])
        return self.fc(x)


def _make_stage(cfg: StageConfig, depth: int) -> nn.Sequential:
    """Build one stage: a stride-2 block that doubles the channels, then stride-1 blocks."""
    out_channels = make_divisible(cfg.in_channels * 2)
    blocks = [
        RepDepthwiseSeparable(
            in_channels=make_divisible(cfg.in_channels if i == 0 else cfg.in_channels * 2),
            out_channels=out_channels,
            stride=2 if i == 0 else 1,
            dw_size=cfg.kernel_size,
            split_pw=cfg.split_pw,
            use_rep=cfg.use_rep,
            use_se=cfg.use_se,
            use_shortcut=cfg.use_shortcut,
        )
        for i in range(depth)
    ]
    return nn.Sequential(*blocks)
