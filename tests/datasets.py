"""A small synthetic PaddleX VideoClsDataset: 5 visually distinct kinds of clips.

The generated test models have random weights, so no fixed label makes sense for them. The
dataset's labels are therefore taken FROM a model's behaviour: each kind of clip is labelled
with the class the model predicts most often for that kind's clips (:func:`label_kinds`).
The kinds differ enough that the model tells them apart, and the clips of one kind vary
enough (colours, speeds, phases) that it does not always agree with itself: the model's
top-1 accuracy on such a dataset is strictly between 0 and 1, and its top-5 accuracy higher.

Layout (PaddleX's VideoClsDataset)::

    OUT_DIR/label.txt         "<id> <name>": the model's class names, or the 5 kind names
    OUT_DIR/train.txt         "videos/<kind>_<i>.mp4 <id>"
    OUT_DIR/val.txt           the last ``val_per_kind`` clips of each kind
    OUT_DIR/videos/*.mp4      h264, 320x240, 16 frames

Usage::

    python tests/datasets.py OUT_DIR                                # labels 0..4 = the kinds
    python tests/datasets.py OUT_DIR --model-dir /tmp/pptsmv2       # PaddleX in-process labels
    python tests/datasets.py OUT_DIR --url localhost:8001 \\
        --model PP-TSMv2-LCNetV2_8frames_uniform                     # labels from the server
"""

from __future__ import annotations

import argparse
import fractions
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

__all__ = [
    "KINDS",
    "Clip",
    "SyntheticDataset",
    "kind_frames",
    "label_kinds",
    "write_clips",
    "write_dataset",
]

#: The kinds of clip, each with its own look.
KINDS = ("stripes", "noise", "dark", "bright", "rings")
WIDTH, HEIGHT, FRAMES, FPS = 320, 240, 16, 25
TOPK = 5


@dataclass(frozen=True)
class Clip:
    """One generated clip.

    Attributes:
        kind: One of :data:`KINDS`.
        index: Its number within the kind.
        video: Its path relative to the dataset root (``videos/<kind>_<index>.mp4``).
    """

    kind: str
    index: int
    video: str


@dataclass(frozen=True)
class SyntheticDataset:
    """A written dataset.

    Attributes:
        root: The dataset root.
        clips: Every clip, kind by kind.
        kind_labels: The class id of each kind.
        train: The clips of train.txt.
        val: The clips of val.txt.
    """

    root: Path
    clips: tuple[Clip, ...]
    kind_labels: Mapping[str, int]
    train: tuple[Clip, ...]
    val: tuple[Clip, ...]


def kind_frames(kind: str, seed: int, *, frames: int = FRAMES) -> list[np.ndarray]:
    """The RGB frames (HxWx3 uint8) of one clip of *kind*; *seed* varies it within the kind.

    * ``stripes``: black and white vertical stripes sliding sideways (period varies);
    * ``noise``: random colour blocks, new each frame;
    * ``dark``: a dark tinted background with a light box crossing it;
    * ``bright``: a bright tinted background with a dark box falling down it;
    * ``rings``: coloured concentric rings whose centre wanders.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}, expected one of {KINDS}")
    rng = np.random.default_rng(seed)
    tint = rng.uniform(0.0, 1.0, 3)
    period = int(rng.integers(8, 24))
    ys = np.linspace(0.0, 1.0, HEIGHT, dtype=np.float32)[:, None]
    xs = np.linspace(0.0, 1.0, WIDTH, dtype=np.float32)[None, :]
    out = []
    for i in range(frames):
        t = i / frames
        if kind == "stripes":
            on = ((np.arange(WIDTH)[None, :] + 4 * i) // period) % 2
            img = np.repeat(on, HEIGHT, axis=0)[..., None] * np.full(3, 255.0)
        elif kind == "noise":
            blocks = rng.integers(0, 256, (HEIGHT // 8, WIDTH // 8, 3))
            img = np.kron(blocks, np.ones((8, 8, 1)))
        elif kind == "dark":
            img = np.full((HEIGHT, WIDTH, 3), 20.0) + tint * 30.0
            x0 = int(t * (WIDTH - 40))
            img[100:140, x0 : x0 + 40] = 200.0
        elif kind == "bright":
            img = np.full((HEIGHT, WIDTH, 3), 220.0) + (tint - 0.5) * 60.0
            cy = int(t * (HEIGHT - 1))
            img[max(0, cy - 20) : cy + 20, 140:180] = 30.0
        else:  # rings
            cx = 0.5 + 0.2 * np.sin(6.0 * t + seed)
            radius = np.sqrt((xs - cx) ** 2 + (ys - 0.5) ** 2)
            on = (np.sin(60.0 * radius + i) > 0).astype(np.float32)
            img = on[..., None] * np.array([255.0, 60.0 + 150.0 * tint[1], 0.0])
        out.append(np.clip(img, 0, 255).astype(np.uint8))
    return out


def _encode(path: Path, frames: Sequence[np.ndarray]) -> None:
    # One x264 thread: with frame threads, the noise clips came out different from run to
    # run on a loaded machine, and so did the labels.
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w", format="mp4") as out:
        stream = out.add_stream(
            "libx264", rate=FPS, options={"crf": "20", "preset": "veryfast", "threads": "1"}
        )
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.codec_context.time_base = fractions.Fraction(1, FPS)
        for index, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = index, fractions.Fraction(1, FPS)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def write_clips(root: str | Path, clips_per_kind: int = 6) -> tuple[Clip, ...]:
    """Writes ``clips_per_kind`` clips of every kind under ``root/videos``.

    Deterministic: clip *i* of kind *k* uses seed ``100 * k + i``. Existing files are kept.
    """
    root = Path(root)
    clips = []
    for k, kind in enumerate(KINDS):
        for i in range(clips_per_kind):
            clip = Clip(kind, i, f"videos/{kind}_{i}.mp4")
            if not (root / clip.video).exists():
                _encode(root / clip.video, kind_frames(kind, 100 * k + i))
            clips.append(clip)
    return tuple(clips)


def label_kinds(
    clips: Sequence[Clip], predict: Callable[[Path | str], Sequence[int]], root: str | Path
) -> dict[str, int]:
    """The class of each kind, from the model's predictions on the kind's clips.

    Each (kind, class) pair scores (clips of the kind whose top-1 is the class, then the
    summed rank points of the class over the kind's clips: 5 for a top-1 ... 1 for a
    top-5); pairs are taken best first, each kind and each class once, so that the kinds get
    distinct classes, the kind the model is surest of choosing first; ties go to the lower
    class id and the earlier kind.

    Args:
        clips: The clips.
        predict: The model's best class ids (best first, five of them) for a video path.
        root: The dataset root the clips' paths are relative to.

    Returns:
        ``{kind: class id}``.
    """
    top1: dict[tuple[str, int], int] = {}
    points: dict[tuple[str, int], int] = {}
    for clip in clips:
        ids = [int(i) for i in predict(Path(root) / clip.video)][:TOPK]
        top1[clip.kind, ids[0]] = top1.get((clip.kind, ids[0]), 0) + 1
        for rank, class_id in enumerate(ids):
            points[clip.kind, class_id] = points.get((clip.kind, class_id), 0) + TOPK - rank
    kinds = list(dict.fromkeys(clip.kind for clip in clips))
    ranked = sorted(
        points,
        key=lambda pair: (-top1.get(pair, 0), -points[pair], pair[1], kinds.index(pair[0])),
    )
    labels: dict[str, int] = {}
    for kind, class_id in ranked:
        if kind not in labels and class_id not in labels.values():
            labels[kind] = class_id
    return labels


def write_dataset(
    root: str | Path,
    *,
    clips_per_kind: int = 6,
    val_per_kind: int = 3,
    label_names: Sequence[str] | None = None,
    predict: Callable[[Path | str], Sequence[int]] | None = None,
) -> SyntheticDataset:
    """Writes the whole dataset: clips, label.txt, train.txt and val.txt.

    Args:
        root: The dataset root (created).
        clips_per_kind: Clips of each kind.
        val_per_kind: The last clips of each kind that go to val.txt (the others: train).
        label_names: The classes of label.txt (a model's names); None: the kind names.
        predict: The model's best class ids for a video path; with it each kind is labelled
            by :func:`label_kinds`; without it, by its position in :data:`KINDS`.

    Returns:
        What was written.
    """
    if not 0 < val_per_kind < clips_per_kind:
        raise ValueError(f"val_per_kind must be in 1..{clips_per_kind - 1}, got {val_per_kind}")
    root = Path(root)
    clips = write_clips(root, clips_per_kind)
    if predict is None:
        kind_labels = {kind: k for k, kind in enumerate(KINDS)}
    else:
        kind_labels = label_kinds(clips, predict, root)
    names = list(label_names) if label_names is not None else list(KINDS)
    for kind, class_id in kind_labels.items():
        if class_id >= len(names):
            raise ValueError(f"kind {kind} got class {class_id}, label.txt has {len(names)}")
    (root / "label.txt").write_text(
        "".join(f"{i} {name}\n" for i, name in enumerate(names)), encoding="utf-8"
    )
    train = tuple(c for c in clips if c.index < clips_per_kind - val_per_kind)
    val = tuple(c for c in clips if c.index >= clips_per_kind - val_per_kind)
    for split, members in (("train", train), ("val", val)):
        (root / f"{split}.txt").write_text(
            "".join(f"{c.video} {kind_labels[c.kind]}\n" for c in members), encoding="utf-8"
        )
    return SyntheticDataset(root, clips, kind_labels, train, val)


# --- label sources -------------------------------------------------------------------------


def paddlex_labeller(model_dir: str | Path) -> tuple[list[str], Callable[[Path | str], list[int]]]:
    """Class names and a ``predict`` from PaddleX itself, in process, on a model dir."""
    import yaml
    from paddlex import create_model

    config = yaml.safe_load((Path(model_dir) / "inference.yml").read_text())
    names = list(config["PostProcess"]["Topk"]["label_list"])
    model = create_model(config["Global"]["model_name"], model_dir=str(model_dir), device="cpu")

    def predict(path: Path | str) -> list[int]:
        (result,) = model.predict(str(path), topk=TOPK)
        return np.asarray(result["class_ids"]).reshape(-1).tolist()

    return names, predict


def server_labeller(
    url: str, model_name: str
) -> tuple[list[str], Callable[[Path | str], list[int]]]:
    """Kinetics-400 class names and a ``predict`` through the served model."""
    from importlib.resources import files

    from videocls_client import create_model

    text = files("videocls_repository").joinpath("data/kinetics400_labels.txt").read_text()
    names = [line.strip() for line in text.splitlines() if line.strip()]
    model = create_model(model_name, url=url)

    def predict(path: Path | str) -> list[int]:
        (result,) = model.predict(str(path), topk=TOPK)
        return np.asarray(result["class_ids"]).reshape(-1).tolist()

    return names, predict


# --- PaddleX's own checker, for comparisons ------------------------------------------------


def paddlex_check(
    dataset_dir: str | Path, output: str | Path, model: str = "PP-TSMv2-LCNetV2_8frames_uniform"
) -> tuple[dict | None, dict[str, list]]:
    """Runs PaddleX 3.7.2's own ``check_dataset`` mode on a dataset, as its engine runs it.

    Its ``VideoClsDatasetChecker.check()`` wrapped in its ``try_except_decorator``, which
    writes ``<output>/check_dataset_result.json`` (``paddlex.engine.Engine.run`` without the
    config-file parsing, which would need PaddleVideo). PaddleX's histogram needs its font:
    point ``paddlex.utils.fonts.PINGFANG_FONT`` at a local file first.

    Returns:
        The JSON PaddleX wrote (None if none), and the bars its histogram drew:
        ``{"classes": names left to right, "train": heights, "val": heights}``.
    """
    from unittest import mock

    import matplotlib.axes
    import matplotlib.pyplot as plt
    from paddlex.modules.video_classification.dataset_checker import VideoClsDatasetChecker
    from paddlex.utils.config import AttrDict
    from paddlex.utils.result_saver import try_except_decorator

    config = AttrDict(
        Global=AttrDict(model=model, dataset_dir=str(dataset_dir), output=str(output)),
        CheckDataset=AttrDict(convert=AttrDict(enable=False), split=AttrDict(enable=False)),
    )

    class Engine:
        _mode = "check_dataset"
        _output = str(output)

        @try_except_decorator
        def run(self) -> dict:
            return VideoClsDatasetChecker(config).check()

    bars: dict[str, list] = {}
    real_bar, real_xticks = matplotlib.axes.Axes.bar, plt.xticks

    def bar(self, x, height, *args, **kwargs):
        bars[kwargs.get("label")] = [int(h) for h in height]
        return real_bar(self, x, height, *args, **kwargs)

    def xticks(ticks=None, labels=None, **kwargs):
        bars["classes"] = list(labels)
        return real_xticks(ticks, labels, **kwargs)

    with (
        mock.patch.object(matplotlib.axes.Axes, "bar", bar),
        mock.patch.object(plt, "xticks", xticks),
    ):
        try:
            Engine().run()
        except SystemExit:
            pass
        finally:
            plt.close("all")
    path = Path(output) / "check_dataset_result.json"
    return (json.loads(path.read_text(encoding="utf-8")) if path.exists() else None), bars


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", metavar="OUT_DIR", help="the dataset root to write")
    parser.add_argument("--clips-per-kind", type=int, default=6)
    parser.add_argument("--val-per-kind", type=int, default=3)
    parser.add_argument("--model-dir", help="label the kinds with PaddleX on this model dir")
    parser.add_argument("--url", help="label the kinds with the served --model at this URL")
    parser.add_argument("--model", help="the served model name (with --url)")
    args = parser.parse_args(argv)
    if args.model_dir and args.url:
        parser.error("give --model-dir or --url, not both")
    if bool(args.url) != bool(args.model):
        parser.error("--url and --model go together")
    names, predict = None, None
    if args.model_dir:
        names, predict = paddlex_labeller(args.model_dir)
    elif args.url:
        names, predict = server_labeller(args.url, args.model)
    dataset = write_dataset(
        args.out_dir,
        clips_per_kind=args.clips_per_kind,
        val_per_kind=args.val_per_kind,
        label_names=names,
        predict=predict,
    )
    labels = ", ".join(f"{kind}={label}" for kind, label in dataset.kind_labels.items())
    print(
        f"wrote {dataset.root}: {len(dataset.train)} train and {len(dataset.val)} val clips; "
        f"labels {labels}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
