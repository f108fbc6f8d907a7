"""The official checkpoint layout (state_dict key -> shape), derived independently.

These tables are written out from reading PaddleVideo's ``resnet_tweaks_tsm.py``,
``pptsm_v2.py``, ``pptsm_head.py``/``tsn_head.py``, ``movinet_head.py`` and
``recognizer2d.py`` (framework attributes ``backbone`` and ``head``), *without*
instantiating our network, so comparing them with ``Recognizer2D.state_dict()`` checks
that an official ``*_pretrained.pdparams`` would load with no missing or unexpected key.

Key facts taken from the official source:

* ResNetTweaksTSM registers its bottlenecks as ``bb_{stage}_{index}`` (not ``res2a``);
  ConvBNLayer's attributes are ``_conv`` and ``_batch_norm``; only the first block of a
  stage has the projection ``short``; ppTSMHead's classifier is ``head.fc``.
* PPTSM_v2 keeps everything (including the 1280 -> 400 ``fc``) in the backbone; its
  ConvBNLayer's attributes are ``conv`` and ``bn``; re-parameterisable blocks hold both
  ``dw_conv_list.{k}`` branches and the biased ``dw_conv``; ``global_attention.fc`` is a
  ``num_seg x num_seg`` linear layer; MoViNetHead has no parameters.
"""

from __future__ import annotations

Shapes = dict[str, tuple[int, ...]]

_BN_SUFFIXES = ("weight", "bias", "_mean", "_variance")


def _conv_bn(
    prefix: str, out_ch: int, in_ch: int, k: int, conv: str, bn: str, groups: int = 1
) -> Shapes:
    """Entries of a bias-free conv followed by a batch norm."""
    shapes: Shapes = {f"{prefix}.{conv}.weight": (out_ch, in_ch // groups, k, k)}
    shapes.update({f"{prefix}.{bn}.{s}": (out_ch,) for s in _BN_SUFFIXES})
    return shapes


def r50_shapes(num_classes: int = 400) -> Shapes:
    """State-dict layout of PP-TSM (Recognizer2D + ResNetTweaksTSM-50 + ppTSMHead)."""
    shapes: Shapes = {}
    for name, cin, cout in (("conv1_1", 3, 32), ("conv1_2", 32, 32), ("conv1_3", 32, 64)):
        shapes.update(_conv_bn(f"backbone.{name}", cout, cin, 3, "_conv", "_batch_norm"))
    cin = 64
    for stage, (depth, width) in enumerate(zip((3, 4, 6, 3), (64, 128, 256, 512), strict=True)):
        for index in range(depth):
            p = f"backbone.bb_{stage}_{index}"
            shapes.update(_conv_bn(f"{p}.conv0", width, cin, 1, "_conv", "_batch_norm"))
            shapes.update(_conv_bn(f"{p}.conv1", width, width, 3, "_conv", "_batch_norm"))
            shapes.update(_conv_bn(f"{p}.conv2", 4 * width, width, 1, "_conv", "_batch_norm"))
            if index == 0:
                shapes.update(_conv_bn(f"{p}.short", 4 * width, cin, 1, "_conv", "_batch_norm"))
            cin = 4 * width
    shapes["head.fc.weight"] = (2048, num_classes)
    shapes["head.fc.bias"] = (num_classes,)
    return shapes


def _v2_block(p: str, cin: int, cout: int, stride: int, k: int, flags: str) -> Shapes:
    """Entries of one RepDepthwiseSeparable; ``flags`` holds 'r'ep, 's'e, 'p' split_pw."""
    shapes: Shapes = {}
    if "r" in flags:
        kernels = [size for size in range(k, 0, -2) if not (size == 1 and stride != 1)]
        for i, size in enumerate(kernels):
            shapes.update(_conv_bn(f"{p}.dw_conv_list.{i}", cin, cin, size, "conv", "bn", cin))
        shapes[f"{p}.dw_conv.weight"] = (cin, 1, k, k)
        shapes[f"{p}.dw_conv.bias"] = (cin,)
    else:
        shapes.update(_conv_bn(f"{p}.dw_conv", cin, cin, k, "conv", "bn", cin))
    if "s" in flags:
        shapes[f"{p}.se.conv1.weight"] = (cin // 4, cin, 1, 1)
        shapes[f"{p}.se.conv1.bias"] = (cin // 4,)
        shapes[f"{p}.se.conv2.weight"] = (cin, cin // 4, 1, 1)
        shapes[f"{p}.se.conv2.bias"] = (cin,)
    if "p" in flags:
        shapes.update(_conv_bn(f"{p}.pw_conv_1", cout // 2, cin, 1, "conv", "bn"))
        shapes.update(_conv_bn(f"{p}.pw_conv_2", cout, cout // 2, 1, "conv", "bn"))
    else:
        shapes.update(_conv_bn(f"{p}.pw_conv", cout, cin, 1, "conv", "bn"))
    return shapes


def pptsm_v2_shapes(num_seg: int, num_classes: int = 400) -> Shapes:
    """State-dict layout of PP-TSMv2 (Recognizer2D + PPTSM_v2 + MoViNetHead)."""
    shapes = _conv_bn("backbone.stem.0", 32, 3, 3, "conv", "bn")
    shapes.update(_v2_block("backbone.stem.1", 32, 64, 1, 3, ""))
    stage_rows = ((64, 3, "", 2), (128, 3, "", 2), (256, 5, "rsp", 6), (512, 5, "r", 2))
    for stage, (cin, k, flags, depth) in enumerate(stage_rows):
        for index in range(depth):
            block_in = cin if index == 0 else 2 * cin
            stride = 2 if index == 0 else 1
            prefix = f"backbone.stages.{stage}.{index}"
            shapes.update(_v2_block(prefix, block_in, 2 * cin, stride, k, flags))
    shapes["backbone.last_conv.weight"] = (1280, 1024, 1, 1)
    shapes["backbone.fc.weight"] = (1280, num_classes)
    shapes["backbone.fc.bias"] = (num_classes,)
    shapes["backbone.global_attention.fc.weight"] = (num_seg, num_seg)
    shapes["backbone.global_attention.fc.bias"] = (num_seg,)
    return shapes


def official_shapes(arch: str, num_seg: int) -> Shapes:
    """Return the official state-dict layout for an architecture.

    Args:
        arch: ``"pptsm_r50"`` or ``"pptsm_v2"``.
        num_seg: Frames per clip.

    Returns:
        Mapping of state-dict key to tensor shape.

    Raises:
        ValueError: ``arch`` is unknown.
    """
    if arch == "pptsm_r50":
        return r50_shapes()
    if arch == "pptsm_v2":
        return pptsm_v2_shapes(num_seg)
    raise ValueError(f"unknown architecture {arch!r}")


def compare_with_official(actual: Shapes, expected: Shapes) -> list[str]:
    """List every difference between two state-dict layouts (empty when identical).

    Args:
        actual: Layout of the network under test.
        expected: Official layout.

    Returns:
        Human-readable problems: missing keys, unexpected keys and shape mismatches.
    """
    problems = [f"missing: {k}" for k in sorted(expected.keys() - actual.keys())]
    problems += [f"unexpected: {k}" for k in sorted(actual.keys() - expected.keys())]
    problems += [
        f"shape of {k}: {actual[k]} != {expected[k]}"
        for k in sorted(expected.keys() & actual.keys())
        if tuple(actual[k]) != tuple(expected[k])
    ]
    return problems
