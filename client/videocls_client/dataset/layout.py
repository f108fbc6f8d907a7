"""PaddleX's ``VideoClsDataset`` layout: finding the root, reading ``label.txt`` and the lists.

The layout (PaddleX 3.7.2, ``paddlex/modules/video_classification/dataset_checker``)::

    <root>/
        label.txt         "<class id> <class name>" per line, ids from 0
        train.txt         "<video path relative to root> <class id>" per line
        val.txt           the same
        videos/           exactly one folder named ``videos`` under the given directory;
                          its parent is the dataset root

Every problem raises :class:`DatasetError` naming the file and, for a line, its number (1-based,
as an editor shows it). PaddleX checks the list lines in a shuffled order and stops at the
first bad one it meets; here they are checked in file order, so the first offending line is
always the same.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import VideoclsClientError

__all__ = [
    "LABEL_FILE",
    "SPLITS",
    "DatasetError",
    "LabelMap",
    "Sample",
    "class_counts",
    "find_dataset_root",
    "read_label_map",
    "read_samples",
]

LABEL_FILE = "label.txt"
#: The two list files PaddleX's VideoClsDataset needs, in its order.
SPLITS = ("train", "val")
#: PaddleX's list delimiter and number of fields per line.
_DELIMITER = " "
_FIELDS = 2


class DatasetError(VideoclsClientError):
    """The dataset does not follow PaddleX's VideoClsDataset layout, or a split is impossible.

    Attributes:
        path: The offending file or folder, when known.
        line: The 1-based line number in ``path``, when the problem is one line.
    """

    exit_code = 10

    def __init__(
        self, message: str, path: str | os.PathLike | None = None, line: int | None = None
    ):
        where = ""
        if path is not None:
            where = f"{os.fspath(path)}:{line}: " if line is not None else f"{os.fspath(path)}: "
        super().__init__(f"{where}{message}")
        self.path = None if path is None else os.fspath(path)
        self.line = line


@dataclass(frozen=True)
class LabelMap:
    """The classes of ``label.txt``.

    Attributes:
        path: The label file.
        names: Class id to class name, in file order.
    """

    path: Path
    names: dict[int, str]

    @property
    def num_classes(self) -> int:
        """PaddleX's ``num_classes``: the largest id plus one (ids may leave gaps)."""
        return max(self.names) + 1

    def name(self, class_id: int) -> str:
        """The class name of *class_id* ("" for an id that label.txt does not list)."""
        return self.names.get(class_id, "")


@dataclass(frozen=True)
class Sample:
    """One line of ``train.txt`` or ``val.txt``.

    Attributes:
        video: The video path as written (relative to the dataset root).
        label: The class id.
        line: The 1-based line number.
        text: The line as read, with its end of line (what a split writes back).
    """

    video: str
    label: int
    line: int
    text: str


def find_dataset_root(dataset_dir: str | os.PathLike) -> str:
    """The dataset root, found as PaddleX finds it: the parent of the one ``videos`` folder.

    Args:
        dataset_dir: The directory given by the user (the root itself or a folder above it).

    Returns:
        The root, in PaddleX's spelling (``Path(...).parent.as_posix()``, relative if
        *dataset_dir* is).

    Raises:
        DatasetError: *dataset_dir* is not a folder, or it holds no or several ``videos``.
    """
    if not os.path.isdir(dataset_dir):
        what = "is not a folder" if os.path.exists(dataset_dir) else "does not exist"
        raise DatasetError(f"the dataset folder {what}", dataset_dir)
    found = sorted(Path(dataset_dir).glob("**/videos"))
    if len(found) != 1:
        if not found:
            problem = "holds no folder named 'videos'"
        else:
            shown = ", ".join(p.as_posix() for p in found[:3]) + (", ..." if len(found) > 3 else "")
            problem = f"holds {len(found)} entries named 'videos' ({shown})"
        raise DatasetError(
            f"{problem}: a PaddleX VideoClsDataset has exactly one 'videos' folder, whose parent "
            "holds label.txt, train.txt and val.txt",
            dataset_dir,
        )
    return found[0].parent.as_posix()


def _read_lines(path: Path, what: str) -> list[str]:
    if not path.is_file():
        raise DatasetError(f"{what} does not exist", path)
    try:
        with open(path, encoding="utf-8") as f:
            return f.readlines()
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{what} is not UTF-8 text ({exc.reason})", path) from None
    except OSError as exc:
        raise DatasetError(f"cannot read {what}: {exc.strerror or exc}", path) from None


def read_label_map(root: str | os.PathLike) -> LabelMap:
    """Reads and checks ``<root>/label.txt``.

    The checks PaddleX makes (each line ``"<int> <name>"``, the smallest id 0), and: not
    empty, no id twice, no negative id.

    Raises:
        DatasetError: The file is missing or a line is wrong (file and line named).
    """
    path = Path(root) / LABEL_FILE
    names: dict[int, str] = {}
    for number, text in enumerate(_read_lines(path, LABEL_FILE), 1):
        parts = text.rstrip("\n").split(" ", 1)
        try:
            class_id = int(parts[0])
        except ValueError:
            raise DatasetError(
                f"expected '<class id> <class name>', the id {parts[0]!r} is not an integer",
                path,
                number,
            ) from None
        if len(parts) < 2:
            raise DatasetError(
                f"expected '<class id> <class name>', class {class_id} has no name", path, number
            )
        if class_id < 0:
            raise DatasetError(f"the class id {class_id} is negative", path, number)
        if class_id in names:
            raise DatasetError(f"the class id {class_id} is listed twice", path, number)
        names[class_id] = parts[1].strip()
    if not names:
        raise DatasetError("lists no class", path)
    if min(names) != 0:
        raise DatasetError(f"the class ids must start from 0, the smallest is {min(names)}", path)
    return LabelMap(path=path, names=names)


def read_samples(
    root: str | os.PathLike,
    split: str,
    labels: LabelMap,
    *,
    check_videos: bool = True,
    allow_empty: bool = False,
) -> list[Sample]:
    """Reads and checks ``<root>/<split>.txt``.

    The checks PaddleX makes (the file exists, each line is ``"<path> <int>"`` split on one
    space, the video exists), and: the class id is one of ``label.txt``'s, the video is a
    file, the list is not empty.

    Args:
        root: The dataset root.
        split: ``"train"`` or ``"val"``.
        labels: The dataset's classes.
        check_videos: Check that every listed video exists (off for evaluation, which
            reports missing videos as errors of their own).
        allow_empty: Accept a list without lines.

    Returns:
        The samples, in file order.

    Raises:
        DatasetError: The first offending line (file and line named), a missing file, or
            an empty list.
    """
    path = Path(root) / f"{split}.txt"
    samples = []
    for number, text in enumerate(_read_lines(path, f"{split}.txt"), 1):
        parts = text.rstrip("\n").split(_DELIMITER)
        if len(parts) != _FIELDS:
            raise DatasetError(
                f"expected '<video path> <class id>' separated by one space, got "
                f"{len(parts)} space-separated fields in {text.rstrip(chr(10))!r}",
                path,
                number,
            )
        video, label_text = parts
        try:
            label = int(label_text)
        except ValueError:
            raise DatasetError(
                f"the class id {label_text!r} is not an integer", path, number
            ) from None
        if label not in labels.names:
            raise DatasetError(
                f"the class id {label} is not in {LABEL_FILE} ({_id_range(labels.names)})",
                path,
                number,
            )
        if not video:
            raise DatasetError("the video path is empty", path, number)
        if check_videos:
            video_path = os.path.join(root, video)
            if not os.path.isfile(video_path):
                problem = "is not a file" if os.path.exists(video_path) else "does not exist"
                raise DatasetError(f"the video {video_path} {problem}", path, number)
        samples.append(Sample(video=video, label=label, line=number, text=text))
    if not samples and not allow_empty:
        raise DatasetError("lists no video", path)
    return samples


def _id_range(ids: Iterable[int]) -> str:
    ordered = sorted(ids)
    if ordered == list(range(len(ordered))):
        return f"ids 0..{len(ordered) - 1}"
    return f"{len(ordered)} ids from {ordered[0]} to {ordered[-1]}, with gaps"


def class_counts(samples: Sequence[Sample]) -> dict[int, int]:
    """Videos per class id."""
    counts: dict[int, int] = {}
    for sample in samples:
        counts[sample.label] = counts.get(sample.label, 0) + 1
    return counts
