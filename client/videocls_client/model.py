"""``create_model`` and the remote model whose ``predict`` mirrors PaddleX's."""

from __future__ import annotations

import dataclasses
import os
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import (
    ConfigError,
    InvalidInputError,
    InvalidVideoError,
    ModelNotFoundError,
)
from .inputs import DownloadConfig, VideoSource, expand_inputs
from .results import Timings, VideoClassificationResult
from .transport import DEFAULT_URL, Transport, TransportConfig

__all__ = ["ModelInfo", "VideoClassificationModel", "create_model", "list_models"]

Input = str | os.PathLike | Sequence[str | os.PathLike]


@dataclass(frozen=True)
class ModelInfo:
    """What the server says about one video-classification ensemble.

    Attributes:
        name: The model (ensemble) name: the PaddleX model name.
        version: The ready version.
        num_seg: Frames sampled per video.
        num_classes: Number of classes (labels).
        default_topk: Classes returned when no topk is asked (the model's inference.yml).
        max_video_bytes: Largest encoded video the server accepts.
        max_video_side: Largest frame side the server accepts, in pixels.
    """

    name: str
    version: str
    num_seg: int
    num_classes: int
    default_topk: int
    max_video_bytes: int
    max_video_side: int

    @classmethod
    def from_config(cls, config: dict[str, Any], version: str = "") -> ModelInfo:
        """Reads the ``parameters`` the converter writes into the ensemble's config.

        Raises:
            ModelNotFoundError: The model is not a videocls ensemble.
        """
        params = {k: v.get("string_value", "") for k, v in config.get("parameters", {}).items()}
        fields = ("num_seg", "num_classes", "default_topk", "max_video_bytes", "max_video_side")
        try:
            values = {name: int(params[name]) for name in fields}
        except (KeyError, ValueError) as exc:
            raise ModelNotFoundError(
                f"model {config.get('name')!r} is not a videocls video-classification ensemble "
                f"(its config lacks the parameter {exc})"
            ) from exc
        return cls(name=config.get("name", ""), version=version, **values)


def _check_topk(topk: Any, num_classes: int | None = None) -> int | None:
    if topk is None:
        return None
    if isinstance(topk, bool) or not isinstance(topk, (int, np.integer)) or topk < 1:
        raise ConfigError(f"topk must be an integer >= 1, got {topk!r}")
    if num_classes is not None and topk > num_classes:
        raise ConfigError(f"topk {topk} is more than the model's {num_classes} classes")
    return int(topk)


def _check_count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


class VideoClassificationModel:
    """A video-classification model served by Triton, used like a PaddleX model.

    Create it with :func:`create_model`. Thread-safe; close it (or use ``with``) to release
    the channel.

    Attributes:
        model_name: The model (ensemble) name.
        info: The server's facts about the model.
        topk: The model-level topk given to :func:`create_model` (None: the server's).
    """

    def __init__(
        self,
        transport: Transport,
        info: ModelInfo,
        *,
        topk: int | None = None,
        download: DownloadConfig | None = None,
        concurrency: int | None = None,
    ) -> None:
        self._transport = transport
        self.info = info
        self.model_name = info.name
        self.topk = _check_topk(topk, info.num_classes)
        self._download = download or DownloadConfig()
        self.concurrency = None if concurrency is None else _check_count("concurrency", concurrency)

    def predict(
        self,
        input: Input,
        batch_size: int = 1,
        topk: int | None = None,
        *,
        return_exceptions: bool = False,
    ) -> Iterator[VideoClassificationResult | InvalidInputError]:
        """Classifies videos; yields one result per video, in input order.

        Args:
            input: A video path, an http(s) URL (downloaded by the client), a folder (its
                ``.mp4/.avi/.mkv/.webm`` files, recursively, sorted), or a list mixing them.
            batch_size: Videos in flight at once. The ensemble's ``VIDEO`` tensor is
                ``[batch, bytes]``, so files of different sizes cannot share one request: the
                client keeps ``batch_size`` single-video requests in flight (the model-level
                ``concurrency`` overrides it) and the server's dynamic batcher groups them for
                the network. The answers are the same as with ``batch_size=1``.
            topk: Classes per video. Precedence as in PaddleX: this, else ``create_model``'s
                topk, else the model's ``inference.yml`` topk (the server's default).
            return_exceptions: Yield an :class:`~videocls_client.errors.InvalidInputError`
                in place of each input that cannot be classified (missing file, refused
                video...) instead of raising it, so that the others go on.

        Yields:
            :class:`~videocls_client.results.VideoClassificationResult` per video (or the
            input's error, with ``return_exceptions``).

        Raises:
            ConfigError: Bad ``batch_size`` or ``topk``.
            InvalidInputError: An input cannot be classified (without ``return_exceptions``).
            ServerUnavailableError: The server cannot be reached.
            ModelNotFoundError: The model went away.
            RequestTimeoutError: A request exceeded its deadline.
            ServerError: The server failed otherwise.
        """
        return self.predict_sources(
            expand_inputs(input), batch_size, topk, return_exceptions=return_exceptions
        )

    __call__ = predict

    def predict_sources(
        self,
        sources: Iterable[VideoSource | InvalidInputError],
        batch_size: int = 1,
        topk: int | None = None,
        *,
        return_exceptions: bool = False,
    ) -> Iterator[VideoClassificationResult | InvalidInputError]:
        """:meth:`predict` on inputs already expanded by :func:`~.inputs.expand_inputs`.

        Errors in *sources* stand for inputs that could not be expanded; they are raised (or
        yielded, with ``return_exceptions``) in their place.
        """
        window = self.concurrency or _check_count("batch_size", batch_size)
        k = _check_topk(topk or self.topk, self.info.num_classes)
        return self._predict(iter(sources), window, k, return_exceptions)

    def _predict(
        self,
        sources: Iterator[VideoSource | InvalidInputError],
        window: int,
        topk: int | None,
        return_exceptions: bool,
    ) -> Iterator[VideoClassificationResult | InvalidInputError]:
        pending: deque[Future | InvalidInputError] = deque()

        def emit(item: Future | InvalidInputError):
            try:
                outcome = item if isinstance(item, InvalidInputError) else item.result()
                if isinstance(outcome, InvalidInputError):
                    raise outcome
                return outcome
            except InvalidInputError as exc:
                if return_exceptions:
                    return exc
                raise

        with ThreadPoolExecutor(window, thread_name_prefix="videocls") as pool:
            try:
                for source in sources:
                    if isinstance(source, InvalidInputError):
                        pending.append(source)
                    else:
                        pending.append(pool.submit(self._classify, source, topk))
                    while len(pending) >= window or (
                        pending and isinstance(pending[0], InvalidInputError)
                    ):
                        yield emit(pending.popleft())
                while pending:
                    yield emit(pending.popleft())
            finally:
                for item in pending:
                    if isinstance(item, Future):
                        item.cancel()

    def _classify(self, source: VideoSource, topk: int | None) -> VideoClassificationResult:
        start = time.perf_counter()
        data = source.read(self._download)
        read_ms = (time.perf_counter() - start) * 1000.0
        if len(data) > self.info.max_video_bytes:
            raise InvalidVideoError(
                f"{source.input_path}: the video is {len(data)} bytes, more than the "
                f"{self.info.max_video_bytes} bytes model {self.model_name} accepts",
                input_path=source.input_path,
            )
        out = self._transport.infer(self.model_name, data, topk, input_path=source.input_path)
        return VideoClassificationResult(
            {
                "input_path": source.input_path,
                "class_ids": out.class_ids.astype(np.int32)[None],
                "scores": list(out.scores.astype(np.float32)),
                "label_names": list(out.label_names),
            },
            model_name=out.model_name,
            model_version=out.model_version,
            timings=Timings(read_ms=read_ms, request_ms=out.request_ms),
            video_bytes=data if source.is_url else None,
        )

    def close(self) -> None:
        """Closes the gRPC channel."""
        self._transport.close()

    def __enter__(self) -> VideoClassificationModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"VideoClassificationModel({self.model_name!r}, url={self._transport.config.url!r})"


_TRANSPORT_FIELDS = {f.name for f in dataclasses.fields(TransportConfig)} - {"url"}
_DOWNLOAD_OPTIONS = {"max_input_bytes": "max_bytes", "download_timeout_s": "timeout_s"}


def _split_options(options: dict[str, Any]) -> tuple[dict, dict, dict]:
    transport, download, model = {}, {}, {}
    for key, value in options.items():
        if key in _TRANSPORT_FIELDS:
            transport[key] = value
        elif key in _DOWNLOAD_OPTIONS:
            download[_DOWNLOAD_OPTIONS[key]] = value
        elif key == "concurrency":
            model[key] = value
        else:
            known = sorted([*_TRANSPORT_FIELDS, *_DOWNLOAD_OPTIONS, "concurrency"])
            raise ConfigError(f"unknown option {key!r} (known: {', '.join(known)})")
    return transport, download, model


def _not_ready(transport: Transport, model_name: str) -> ModelNotFoundError:
    url = transport.config.url
    index = transport.repository_index()
    entry = next((m for m in index if m.get("name") == model_name), None)
    if entry is not None:
        reason = f": {entry['reason']}" if entry.get("reason") else ""
        state = entry.get("state") or "not loaded"
        return ModelNotFoundError(
            f"model {model_name!r} on the server at {url} is not ready ({state}{reason})"
        )
    ready = sorted(
        m["name"] for m in index if m.get("state") == "READY" and "." not in m.get("name", ".")
    )
    have = f"; ready models: {', '.join(ready)}" if ready else "; it has no ready model"
    return ModelNotFoundError(f"the server at {url} has no model {model_name!r}{have}")


def _model_info(transport: Transport, model_name: str) -> ModelInfo:
    if not isinstance(model_name, str) or not model_name:
        raise ConfigError(f"model_name must be a non-empty string, got {model_name!r}")
    try:
        ready = transport.is_model_ready(model_name)
    except ModelNotFoundError:
        ready = False
    if not ready:
        raise _not_ready(transport, model_name)
    config = transport.model_config(model_name)
    versions = [
        m.get("version", "")
        for m in transport.repository_index()
        if m.get("name") == model_name and m.get("state") == "READY"
    ]
    return ModelInfo.from_config(config, version=max(versions, default="", key=_version_key))


def _version_key(version: str) -> tuple[int, str]:
    return (int(version), version) if version.isdigit() else (-1, version)


def create_model(
    model_name: str,
    url: str = DEFAULT_URL,
    topk: int | None = None,
    **options: Any,
) -> VideoClassificationModel:
    """Connects to a served model; the counterpart of ``paddlex.create_model``.

    The server is asked once whether the model is ready and for its settings (num_seg,
    classes, default topk, input limits), so a wrong address or name fails here.

    Args:
        model_name: The PaddleX model name, e.g. ``"PP-TSMv2-LCNetV2_8frames_uniform"``.
        url: ``host:port`` of Triton's gRPC endpoint.
        topk: Default classes per video for :meth:`~VideoClassificationModel.predict`
            (None: the model's inference.yml topk).
        **options: Transport options (the fields of
            :class:`~videocls_client.transport.TransportConfig`: ``ssl``, ``root_cert``,
            ``client_cert``, ``client_key``, ``headers``, ``timeout_s``, ``retries``,
            ``backoff_s``, ``max_backoff_s``, ``max_message_bytes``), input options
            (``max_input_bytes``, ``download_timeout_s``) and ``concurrency`` (requests in
            flight, overriding predict's ``batch_size``).

    Returns:
        The model.

    Raises:
        ConfigError: An option is invalid or unknown.
        ServerUnavailableError: The server cannot be reached.
        ModelNotFoundError: The server has no such model, or it is not ready.

    Example:
        >>> model = create_model("PP-TSMv2-LCNetV2_8frames_uniform", url="localhost:8001")
        >>> for res in model.predict("video.mp4", topk=5):  # doctest: +SKIP
        ...     res.print()
        ...     res.save_to_json("./output/")
        ...     res.save_to_video("./output/")
    """
    transport_options, download_options, model_options = _split_options(options)
    _check_topk(topk)
    config = TransportConfig(url=url, **transport_options)
    download = DownloadConfig(**download_options)
    transport = Transport(config)
    try:
        info = _model_info(transport, model_name)
        return VideoClassificationModel(
            transport, info, topk=topk, download=download, **model_options
        )
    except BaseException:
        transport.close()
        raise


def list_models(url: str = DEFAULT_URL, **options: Any) -> list[ModelInfo]:
    """The ready video-classification ensembles on a server, sorted by name.

    Args:
        url: ``host:port`` of Triton's gRPC endpoint.
        **options: Transport options, as for :func:`create_model`.

    Raises:
        ConfigError: An option is invalid.
        ServerUnavailableError: The server cannot be reached.
    """
    transport_options, _, _ = _split_options(options)
    with Transport(TransportConfig(url=url, **transport_options)) as transport:
        infos = []
        for entry in transport.repository_index():
            if entry.get("state") != "READY":
                continue
            try:
                config = transport.model_config(entry["name"])
            except ModelNotFoundError:  # unloaded meanwhile
                continue
            if config.get("platform") != "ensemble":
                continue
            try:
                infos.append(ModelInfo.from_config(config, version=entry.get("version", "")))
            except ModelNotFoundError:
                continue
        return sorted(infos, key=lambda info: info.name)
