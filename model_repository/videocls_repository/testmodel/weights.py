"""Seeded, calibrated and numerically well-conditioned weights for the generated test models.

The weights are not trained. They are chosen so that the network behaves like a classifier
whose answer depends on the video, *and* so that two correct float32 implementations of the
same graph (Paddle Inference and onnxruntime on the paddle2onnx conversion) agree on the
logits to a few units in the last place (~1e-6), as the served-vs-PaddleX checks require.
Plain random networks do not: with He initialisation and batch norms calibrated to zero
mean, every ReLU layer adds a positive mean that the next batch norm removes again, so the
rounding error relative to the informative (input-dependent) part of the activations grows
by about ``sqrt(pi / (pi - 1)) = 1.21`` per layer; the pooled features of all inputs end up
nearly equal, and a classifier that amplifies their small differences amplifies the float32
rounding noise with them (Paddle-vs-ONNX logit differences of 1e-4 to 1e-2 were measured).

Construction (:func:`initialise`, then :func:`calibrate`):

1. **Near-linear ReLU regime.** Every batch norm that feeds a ReLU gets the shift
   :data:`ACTIVE_SHIFT` (1.5): about 93 % of the units are active, so a layer propagates a
   relative error by ``sqrt(Phi(1.5)) / std(relu(N(1.5, 1))) = 1.02`` instead of 1.21,
   while the ~7 % inactive units keep the network non-linear. (Larger shifts do not help:
   the rounding of each layer is relative to the activations' magnitude, mean included.)
2. **Batch-norm calibration.** One forward pass over synthetic frames
   (:mod:`.synthetic`); a forward pre-hook on every batch norm sets its running statistics
   to those of the input it is about to normalise, per channel, with the variance floored
   at :data:`_RELATIVE_VAR_FLOOR` of the layer mean (as before).
3. **Shallow effective depth.** Rounding accumulates with the number of inexact layers.
   PP-TSM R50: the last batch norm of every bottleneck branch has scale
   :data:`RESIDUAL_GAIN` (the "zero-init residual" idea, not quite zero), so the network
   behaves like its stem and four projection shortcuts plus small residual corrections.
   PP-TSMv2 has no residuals: the five stride-1 blocks of its third stage are made *exact*
   pass-through blocks instead (one-hot 1x1 convolutions that copy or select channels, a
   delta depthwise kernel, identity batch norms, squeeze-excitation gates saturated at
   exactly 1.0), which every float32 implementation computes without rounding. Their
   operators are still in the graph; the other twelve blocks, the squeeze-excitation of
   the first third-stage block and the temporal attention are ordinary random layers.
4. **Low-pass depthwise kernels** (PP-TSMv2): depthwise weights are ``|He-normal|``, i.e.
   random positive blurs. They average away rounding noise that earlier layers left at
   single pixels while passing the smooth structure that distinguishes videos.
5. **Quiet temporal attention** (PP-TSMv2): Paddle computes the attention's per-frame mean
   over C*H*W ~ 2e5 values with a sequential float32 sum (relative error ~1e-5 here), so
   the attention's linear layer is scaled by :data:`ATTENTION_GAIN`: the frame gates still
   vary with the content, but the sum's rounding barely moves them.
6. **Rounding-free batch-norm folding.** After calibration every batch norm is rewritten
   to the equivalent ``scale * x + shift`` form (running mean 0, running variance
   ``1 - epsilon``, so ``sqrt(var + eps)`` is exactly 1.0 in float32): runtimes that fold
   the norm into the preceding convolution all get bit-identical weights (one float32
   product) and a bias equal to the stored shift, with no ``shift - mean * scale``
   cancellation.
7. **Classifier from DC-free channel pairs.** Pooled features (the per-frame input of the
   classifier, PP-TSMv2's ``last_conv`` input) are positive with a large common part; a
   dense random read-out cancels that part inside a 1024/2048-term float32 sum, and Paddle
   sums a batch-1 ``matmul`` sequentially, so its rounding grows like ``sqrt(n)``. The
   read-out therefore looks only at :data:`READOUT_PAIRS` pairs of adjacent channels, each
   combined as ``mean[2i+1] * x[2i] - mean[2i] * x[2i+1]`` (zero on the calibration mean,
   so partial sums never carry the common part), chooses the pairs with the largest
   variation over the calibration frames and takes the top :data:`READOUT_DIRECTIONS`
   principal directions of their variation, each scaled to unit variance. R50's ``fc`` is
   a random mix of these directions. PP-TSMv2's ``last_conv`` computes them in its first
   ``2 * READOUT_DIRECTIONS`` output channels (``+d`` and ``-d``, so the ReLU keeps both
   halves; its other channels stay random), and ``fc`` reads only those channels.
   In both cases the classifier is scaled so that the logits of a typical (median)
   calibration frame have a standard deviation of :data:`LOGIT_STD` across the 400 classes
   (videos then get top-1 scores of roughly 0.03 to 0.8), and its bias centres every
   class's calibration logits.

Measured on the generated models with 8 synthetic test videos (``tests/videos.py``) and the
converter's random uint8 batch: Paddle-vs-onnxruntime max abs logit difference ~2e-6 to
6e-6 (a few float32 ulps of the largest logits), 6 to 8 distinct top-1 classes.
"""

from __future__ import annotations

import numpy as np
import paddle
from paddle import nn

from .heads import PPTSMHead
from .pptsm_v2 import ConvBNLayer as V2ConvBN
from .pptsm_v2 import PPTSMv2LCNet, RepDepthwiseSeparable
from .resnet_tweaks_tsm import BottleneckBlock
from .resnet_tweaks_tsm import ConvBNLayer as R50ConvBN

#: Standard deviation over the classes of a typical calibration frame's logits.
LOGIT_STD = 2.0
#: Batch-norm shift in front of every ReLU / leaky ReLU (in units of the normalised std).
ACTIVE_SHIFT = 1.5
#: Scale of the last batch norm of every R50 bottleneck branch.
RESIDUAL_GAIN = 0.2
#: Scale of PP-TSMv2's temporal-attention linear layer.
ATTENTION_GAIN = 0.02
#: PP-TSMv2 stage (0-based) whose stride-1 blocks are exact pass-through blocks.
PASS_THROUGH_STAGE = 2
#: Number of DC-balanced channel pairs the classifier reads.
READOUT_PAIRS = 64
#: Number of principal directions of the pairs' variation that the classifier combines.
READOUT_DIRECTIONS = 8
#: Bias of a saturated squeeze-excitation gate: float32 sigmoid(30) is exactly 1.0.
_SATURATED_GATE_BIAS = 30.0
_VAR_FLOOR = 1e-4
_RELATIVE_VAR_FLOOR = 0.1


def _fan_in(weight_shape: tuple[int, ...]) -> int:
    """Fan-in of a conv weight ``[out, in/groups, kh, kw]``."""
    return int(np.prod(weight_shape[1:]))


def _set(tensor: paddle.Tensor, values: np.ndarray) -> None:
    """Copy ``values`` into ``tensor`` as float32."""
    tensor.set_value(np.asarray(values, dtype=np.float32).reshape(tensor.shape))


def _init_conv(layer: nn.Conv2D, rng: np.random.Generator) -> None:
    """He-normal weight (absolute values for depthwise convs: positive blurs), zero bias."""
    shape = tuple(layer.weight.shape)
    weight = rng.standard_normal(shape) * np.sqrt(2.0 / _fan_in(shape))
    _set(layer.weight, np.abs(weight) if layer._groups > 1 else weight)
    if layer.bias is not None:
        _set(layer.bias, np.zeros(layer.bias.shape))


def _init_linear(layer: nn.Linear, rng: np.random.Generator) -> None:
    """``N(0, 1/fan_in)`` weight (Paddle stores ``[in, out]``), zero bias."""
    fan_in, fan_out = layer.weight.shape
    _set(layer.weight, rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in))
    if layer.bias is not None:
        _set(layer.bias, np.zeros(fan_out))


def _init_batch_norm(layer: nn.BatchNorm2D, scale: float, shift: float) -> None:
    """Running mean 0, running variance ``1 - eps`` (so the norm is exactly affine)."""
    channels = layer.weight.shape[0]
    _set(layer.weight, np.full(channels, scale))
    _set(layer.bias, np.full(channels, shift))
    _set(layer._mean, np.zeros(channels))
    _set(layer._variance, np.full(channels, np.float32(1.0) - np.float32(layer._epsilon)))


def _batch_norm_settings(model: nn.Layer) -> dict[int, tuple[float, float]]:
    """``{id(batch_norm): (scale, shift)}`` for the norms that are not plain identities."""
    settings: dict[int, tuple[float, float]] = {}
    for layer in model.sublayers():
        if isinstance(layer, RepDepthwiseSeparable) and layer.use_rep:
            # The branches are summed before the ReLU: share the shift, keep the variance.
            count = len(layer.dw_conv_list)
            for branch in layer.dw_conv_list:
                settings[id(branch.bn)] = (1.0 / np.sqrt(count), ACTIVE_SHIFT / count)
        elif isinstance(layer, V2ConvBN) and layer.use_act:
            settings[id(layer.bn)] = (1.0, ACTIVE_SHIFT)
        elif isinstance(layer, BottleneckBlock):
            settings[id(layer.conv2._batch_norm)] = (RESIDUAL_GAIN, 0.0)
            if not layer.shortcut:
                settings[id(layer.short._batch_norm)] = (1.0, ACTIVE_SHIFT)
        elif isinstance(layer, R50ConvBN) and layer._act:
            settings.setdefault(id(layer._batch_norm), (1.0, ACTIVE_SHIFT))
    return settings


def _pass_through_blocks(model: nn.Layer) -> list[RepDepthwiseSeparable]:
    """PP-TSMv2's stride-1 blocks of :data:`PASS_THROUGH_STAGE` (none for R50)."""
    backbone = getattr(model, "backbone", None)
    if not isinstance(backbone, PPTSMv2LCNet):
        return []
    return list(backbone.stages[PASS_THROUGH_STAGE])[1:]


def _one_hot_conv(conv: nn.Conv2D, rng: np.random.Generator) -> None:
    """Make ``conv`` copy channels exactly: a centred delta (depthwise) or a 0/1 selection.

    A dense conv's output channel ``c`` copies input channel ``source[c]``, where the
    sources are a random permutation of the inputs (repeated when there are more outputs).
    """
    out_channels, in_channels, height, width = conv.weight.shape
    weight = np.zeros((out_channels, in_channels, height, width))
    if conv._groups > 1:
        weight[:, 0, height // 2, width // 2] = 1.0
    else:
        repeats = -(-out_channels // in_channels)
        sources = np.concatenate([rng.permutation(in_channels) for _ in range(repeats)])
        weight[np.arange(out_channels), sources[:out_channels], height // 2, width // 2] = 1.0
    _set(conv.weight, weight)


def _make_pass_through(block: RepDepthwiseSeparable, rng: np.random.Generator) -> None:
    """Turn ``block`` into an exact copy of its (non-negative) input, channels permuted."""
    for index, branch in enumerate(block.dw_conv_list):
        if index == 0:
            _one_hot_conv(branch.conv, rng)
        _init_batch_norm(branch.bn, 1.0 if index == 0 else 0.0, 0.0)
    for name in ("pw_conv", "pw_conv_1", "pw_conv_2"):
        layer = getattr(block, name, None)
        if layer is not None:
            _one_hot_conv(layer.conv, rng)
            _init_batch_norm(layer.bn, 1.0, 0.0)
    if block.use_se:
        _set(block.se.conv2.weight, np.zeros(block.se.conv2.weight.shape))
        _set(block.se.conv2.bias, np.full(block.se.conv2.bias.shape, _SATURATED_GATE_BIAS))


def initialise(model: nn.Layer, seed: int) -> None:
    """Draw all weights of ``model`` deterministically from ``seed``.

    Args:
        model: The recognizer; every Conv2D, Linear and BatchNorm2D sub-layer is reset.
        seed: Random seed.
    """
    rng = np.random.default_rng(seed)
    settings = _batch_norm_settings(model)
    for layer in model.sublayers(include_self=True):
        if isinstance(layer, nn.Conv2D):
            _init_conv(layer, rng)
        elif isinstance(layer, nn.Linear):
            _init_linear(layer, rng)
        elif isinstance(layer, nn.BatchNorm2D):
            _init_batch_norm(layer, *settings.get(id(layer), (1.0, 0.0)))
    backbone = getattr(model, "backbone", None)
    if isinstance(backbone, PPTSMv2LCNet):
        attention = backbone.global_attention.fc
        _set(attention.weight, attention.weight.numpy() * ATTENTION_GAIN)
    for block in _pass_through_blocks(model):
        _make_pass_through(block, rng)


def _calibration_pass(
    model: nn.Layer, pooled_layer: nn.Layer, clips: np.ndarray, frozen: set[int]
) -> np.ndarray:
    """Run ``model`` once, calibrating every batch norm not in ``frozen``.

    Args:
        model: The recognizer.
        pooled_layer: Layer whose output is the per-frame pooled feature
            (``[N*T, C, 1, 1]``).
        clips: ``[N, T, 3, H, W]`` calibration batch.
        frozen: ``id``s of batch norms to leave as they are.

    Returns:
        ``[N*T, C]`` per-frame pooled features (float64).
    """
    captured: list[np.ndarray] = []

    def calibrate_norm(layer: nn.BatchNorm2D, inputs: tuple[paddle.Tensor, ...]) -> None:
        x = inputs[0]
        mean = paddle.mean(x, axis=[0, 2, 3])
        var = paddle.mean(paddle.square(x - mean.reshape([1, -1, 1, 1])), axis=[0, 2, 3])
        floor = paddle.maximum(paddle.mean(var) * _RELATIVE_VAR_FLOOR, paddle.to_tensor(_VAR_FLOOR))
        layer._mean.set_value(mean)
        layer._variance.set_value(paddle.maximum(var, floor))

    def capture(_layer: nn.Layer, _inputs: tuple, output: paddle.Tensor) -> None:
        captured.append(output.numpy().astype(np.float64).reshape(output.shape[0], -1))

    handles = [
        layer.register_forward_pre_hook(calibrate_norm)
        for layer in model.sublayers()
        if isinstance(layer, nn.BatchNorm2D) and id(layer) not in frozen
    ]
    handles.append(pooled_layer.register_forward_post_hook(capture))
    try:
        with paddle.no_grad():
            model([paddle.to_tensor(clips)])
    finally:
        for handle in handles:
            handle.remove()
    return captured[0]


def _fold_batch_norms(model: nn.Layer) -> None:
    """Rewrite every batch norm as ``scale * x + shift`` (mean 0, variance ``1 - eps``)."""
    for layer in model.sublayers():
        if isinstance(layer, nn.BatchNorm2D):
            eps = float(np.float32(layer._epsilon))
            mean = layer._mean.numpy().astype(np.float64)
            var = layer._variance.numpy().astype(np.float64)
            scale = layer.weight.numpy().astype(np.float64) / np.sqrt(var + eps)
            shift = layer.bias.numpy().astype(np.float64) - mean * scale
            _init_batch_norm(layer, 0.0, 0.0)
            _set(layer.weight, scale)
            _set(layer.bias, shift)


def readout_directions(pooled: np.ndarray) -> np.ndarray:
    """Sparse read-out directions over DC-balanced pairs of adjacent channels.

    Args:
        pooled: ``[M, D]`` per-frame calibration features (``D`` even).

    Returns:
        ``[D, READOUT_DIRECTIONS]``; column ``k`` is non-zero on ``READOUT_PAIRS`` channel
        pairs only, orthogonal to the calibration mean, and ``pooled @ column`` has unit
        standard deviation over the calibration frames.
    """
    mean = pooled.mean(axis=0)
    centred = pooled - mean
    pair_norm = np.hypot(mean[0::2], mean[1::2])
    # Pair coordinate i: (mean[2i+1] * x[2i] - mean[2i] * x[2i+1]) / |mean pair|.
    coords = (centred[:, 0::2] * mean[1::2] - centred[:, 1::2] * mean[0::2]) / pair_norm
    pairs = np.sort(np.argsort(coords.var(axis=0))[::-1][:READOUT_PAIRS])
    selected = coords[:, pairs]
    components = np.linalg.svd(selected - selected.mean(axis=0), full_matrices=False)[2]
    components = components[:READOUT_DIRECTIONS].T  # [pairs, K]
    # Deterministic signs: the largest entry of every direction is positive.
    largest = np.abs(components).argmax(axis=0)
    components *= np.sign(components[largest, np.arange(components.shape[1])])
    directions = np.zeros((pooled.shape[1], components.shape[1]))
    directions[2 * pairs] = components * (mean[2 * pairs + 1] / pair_norm[pairs])[:, None]
    directions[2 * pairs + 1] = -components * (mean[2 * pairs] / pair_norm[pairs])[:, None]
    return directions / (centred @ directions).std(axis=0)


def _fit_classifier(classifier: nn.Linear, features: np.ndarray, weight: np.ndarray) -> None:
    """Scale ``weight`` to :data:`LOGIT_STD`, centre the classes and store both."""
    logits = features @ weight
    spread = float(np.median((logits - logits.mean(axis=0)).std(axis=1)))
    weight = weight * (LOGIT_STD / max(spread, 1e-12))
    _set(classifier.weight, weight)
    _set(classifier.bias, -features.mean(axis=0) @ weight)


def calibrate(model: nn.Layer, clips: np.ndarray, seed: int) -> None:
    """Calibrate the batch norms and fit the read-out of a freshly initialised ``model``.

    Args:
        model: The recognizer (called as ``model([clips])``), after :func:`initialise`.
        clips: ``[N, T, 3, H, W]`` normalised calibration batch.
        seed: Random seed of the class weights.
    """
    model.eval()
    rng = np.random.default_rng(seed + 1)
    frozen = {
        id(layer)
        for block in _pass_through_blocks(model)
        for layer in block.sublayers()
        if isinstance(layer, nn.BatchNorm2D)
    }
    backbone = model.backbone
    if isinstance(backbone, PPTSMv2LCNet):
        pooled = _calibration_pass(model, backbone.avg_pool, clips, frozen)
        directions = readout_directions(pooled)
        count = directions.shape[1]
        expand = backbone.last_conv.weight.numpy().reshape(backbone.last_conv.weight.shape[0], -1)
        expand = expand.astype(np.float64)
        expand[: 2 * count] = np.concatenate([directions.T, -directions.T])
        _set(backbone.last_conv.weight, expand)
        keep = 1.0 - backbone.dropout.p  # "downscale_in_infer" dropout
        features = keep * np.maximum(pooled @ expand[: 2 * count].T, 0.0)
        classifier = backbone.fc
        weight = np.zeros((expand.shape[0], classifier.weight.shape[1]))
        weight[: 2 * count] = rng.standard_normal((2 * count, classifier.weight.shape[1]))
        full_features = np.zeros((len(features), expand.shape[0]))
        full_features[:, : 2 * count] = features
        _fit_classifier(classifier, full_features, weight)
    elif isinstance(model.head, PPTSMHead):
        pooled = _calibration_pass(model, model.head.avgpool2d, clips, frozen)
        directions = readout_directions(pooled)
        classifier = model.head.fc
        mix = rng.standard_normal((directions.shape[1], classifier.weight.shape[1]))
        _fit_classifier(classifier, pooled, directions @ mix)
    else:
        raise TypeError(f"no read-out rule for {type(backbone).__name__}")
    _fold_batch_norms(model)
