"""Seeded, calibrated weights for the generated test models.

The weights are not trained, but they are chosen so that the network behaves like a
classifier whose answer depends on the video:

1. :func:`initialise` draws every convolution from He-normal (``std = sqrt(2 / fan_in)``)
   and every linear layer from ``N(0, 1 / fan_in)``; biases start at zero and batch norms
   at the identity.
2. :func:`calibrate` runs one forward pass over synthetic frames. A forward pre-hook on
   every batch norm sets its running mean/variance to the statistics of the input it is
   about to normalise (upstream norms are already calibrated by then), so activations stay
   O(1) through the whole depth, as in a trained network in eval mode. Channel variances
   are floored at a fraction of the layer's mean variance so that channels nearly silent
   on the calibration frames are not amplified without bound on other content.
3. The same pass records each frame's pooled feature vector (what the classifier sees,
   before the average over frames). Deep random networks map every input close to one
   common feature vector; a classifier that amplifies the small differences amplifies
   float32 rounding noise with them, and Paddle and onnxruntime (different kernels) would
   then disagree by far more than they do on trained networks. Two measures keep the
   generated networks as well conditioned as trained ones: every batch norm output is
   shifted by :data:`BN_SHIFT` (most ReLUs active: close to linear, not chaotic), and the
   classifier is a random projection from the strongest directions of feature variation
   (principal components 2..K+1; the first tracks global image energy rather than content),
   scaled so that the logits of a typical (median) calibration frame have a standard
   deviation of :data:`LOGIT_STD` across the 400 classes: the softmax is then neither flat
   nor one-hot.
"""

from __future__ import annotations

import numpy as np
import paddle
from paddle import nn

LOGIT_STD = 4.0
#: Every batch norm's output is shifted by this many standard deviations, so most ReLUs are
#: active: the random network stays close to linear instead of chaotic, and float32 rounding
#: is not amplified from layer to layer (Paddle and onnxruntime then agree to ~1e-5).
BN_SHIFT = 1.0
#: The classifier reads only the strongest directions of feature variation (after the first),
#: where rounding noise is smallest relative to the signal.
CLASSIFIER_COMPONENTS = 16
_VAR_FLOOR = 1e-4
_RELATIVE_VAR_FLOOR = 0.1


def _fan_in(weight_shape: tuple[int, ...]) -> int:
    """Fan-in of a conv weight ``[out, in/groups, kh, kw]``."""
    return int(np.prod(weight_shape[1:]))


def _set(tensor: paddle.Tensor, values: np.ndarray) -> None:
    """Copy ``values`` into ``tensor`` as float32."""
    tensor.set_value(np.asarray(values, dtype=np.float32).reshape(tensor.shape))


def _init_conv(layer: nn.Conv2D, rng: np.random.Generator) -> None:
    """He-normal weight, zero bias."""
    shape = tuple(layer.weight.shape)
    _set(layer.weight, rng.standard_normal(shape) * np.sqrt(2.0 / _fan_in(shape)))
    if layer.bias is not None:
        _set(layer.bias, np.zeros(layer.bias.shape))


def _init_linear(layer: nn.Linear, rng: np.random.Generator) -> None:
    """``N(0, 1/fan_in)`` weight (Paddle stores ``[in, out]``), zero bias."""
    fan_in, fan_out = layer.weight.shape
    _set(layer.weight, rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in))
    if layer.bias is not None:
        _set(layer.bias, np.zeros(fan_out))


def _init_batch_norm(layer: nn.BatchNorm2D) -> None:
    """Scale 1, shift :data:`BN_SHIFT`, running mean 0, running variance 1."""
    channels = layer.weight.shape[0]
    _set(layer.weight, np.ones(channels))
    _set(layer.bias, np.full(channels, BN_SHIFT))
    _set(layer._mean, np.zeros(channels))
    _set(layer._variance, np.ones(channels))


def initialise(model: nn.Layer, seed: int) -> None:
    """Draw all weights of ``model`` deterministically from ``seed``.

    Args:
        model: The network; every Conv2D, Linear and BatchNorm2D sub-layer is reset.
        seed: Random seed.
    """
    rng = np.random.default_rng(seed)
    for layer in model.sublayers(include_self=True):
        if isinstance(layer, nn.Conv2D):
            _init_conv(layer, rng)
        elif isinstance(layer, nn.Linear):
            _init_linear(layer, rng)
        elif isinstance(layer, nn.BatchNorm2D):
            _init_batch_norm(layer)


def _bn_calibration_hook(layer: nn.BatchNorm2D, inputs: tuple[paddle.Tensor, ...]) -> None:
    """Forward pre-hook: set ``layer``'s running statistics to those of its input."""
    x = inputs[0]
    mean = paddle.mean(x, axis=[0, 2, 3])
    var = paddle.mean(paddle.square(x - mean.reshape([1, -1, 1, 1])), axis=[0, 2, 3])
    floor = paddle.maximum(paddle.mean(var) * _RELATIVE_VAR_FLOOR, paddle.to_tensor(_VAR_FLOOR))
    layer._mean.set_value(mean)
    layer._variance.set_value(paddle.maximum(var, floor))


def _calibration_pass(model: nn.Layer, feature_layer: nn.Layer, clips: np.ndarray) -> np.ndarray:
    """Run ``model`` once with BN calibration hooks; return ``feature_layer``'s output.

    Args:
        model: The recognizer.
        feature_layer: Layer whose output is the per-frame pooled feature
            (``[N*T, C, 1, 1]``).
        clips: ``[N, T, 3, H, W]`` calibration batch.

    Returns:
        ``[N*T, C]`` per-frame features.
    """
    captured: list[np.ndarray] = []

    def capture(_layer: nn.Layer, _inputs: tuple, output: paddle.Tensor) -> None:
        captured.append(output.numpy().reshape(output.shape[0], -1))

    handles = [
        layer.register_forward_pre_hook(_bn_calibration_hook)
        for layer in model.sublayers()
        if isinstance(layer, nn.BatchNorm2D)
    ]
    handles.append(feature_layer.register_forward_post_hook(capture))
    try:
        with paddle.no_grad():
            model([paddle.to_tensor(clips)])
    finally:
        for handle in handles:
            handle.remove()
    return captured[0]


def classifier_weights(features: np.ndarray, num_classes: int, seed: int) -> np.ndarray:
    """Random class vectors in the dominant variation subspace, scaled to ``LOGIT_STD``.

    The subspace is spanned by the principal directions 2..K+1 of the centred calibration
    features (the first one tracks global image energy rather than content); restricting the
    classifier to it keeps its gain on rounding noise small.

    Args:
        features: ``[M, D]`` per-frame calibration features.
        num_classes: Number of classes.
        seed: Random seed.

    Returns:
        ``[D, num_classes]`` weight matrix.
    """
    rng = np.random.default_rng(seed + 1)
    centred = features - features.mean(axis=0)
    components = np.linalg.svd(centred, full_matrices=False)[2][1 : CLASSIFIER_COMPONENTS + 1]
    weight = components.T @ rng.standard_normal((components.shape[0], num_classes))
    spread = float(np.median((centred @ weight).std(axis=1)))
    return weight * (LOGIT_STD / max(spread, 1e-12))


def calibrate(
    model: nn.Layer,
    feature_layer: nn.Layer,
    classifier: nn.Linear,
    clips: np.ndarray,
    seed: int,
) -> None:
    """Calibrate batch norms and the classifier of ``model`` on ``clips``.

    Args:
        model: The recognizer (called as ``model([clips])``), freshly initialised.
        feature_layer: Layer outputting the per-frame features the classifier averages.
        classifier: The final linear layer.
        clips: ``[N, T, 3, H, W]`` normalised calibration batch.
        seed: Random seed of the classifier's projection.
    """
    model.eval()
    features = _calibration_pass(model, feature_layer, clips)
    weight = classifier_weights(features, classifier.weight.shape[1], seed)
    _set(classifier.weight, weight)
    _set(classifier.bias, -features.mean(axis=0) @ weight)
