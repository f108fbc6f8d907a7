"""Every ``config.pbtxt`` of a model's Triton repository, generated in one place from its spec.

Configs are filled into ``ModelConfig`` protobuf messages (the schema rejects a misspelt field or
type) and serialised with ``text_format``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from google.protobuf import text_format
from tritonclient.grpc import model_config_pb2 as mc
from videocls_preprocess.errors import VideoclsError
from videocls_preprocess.spec import InputLimits

from .modelspec import ModelSpec

Target = Literal["python-onnxruntime", "onnxruntime", "tensorrt"]
TARGETS: tuple[str, ...] = ("python-onnxruntime", "onnxruntime", "tensorrt")
#: Whether the network step batches when not told. On CPU a batch costs at least as much
#: compute as its videos one by one (PP-TSM-R50 batches were slower: larger working set), so
#: batching only adds queueing (measured with ``benchmarks/tuning.py``, docs/performance.md);
#: on a GPU batching is what fills the device.
DEFAULT_DYNAMIC_BATCHING: dict[str, bool] = {
    "python-onnxruntime": False,
    "onnxruntime": False,
    "tensorrt": True,
}


@dataclass(frozen=True)
class ServingOptions:
    """How a model is served (independent of what the model computes).

    The defaults are the throughput-tuned ones measured on 2 CPU cores with
    ``benchmarks/tuning.py`` (docs/performance.md): two network instances of one onnxruntime
    thread each, two decode instances, no dynamic batching on CPU. For the lowest latency of
    a lone request on an idle server, use one network instance with ``intra_op_threads=0``.

    Attributes:
        target: ``python-onnxruntime`` (runs on the PyPI tritonserver), ``onnxruntime`` or
            ``tensorrt`` (native backends of the NGC tritonserver image).
        max_batch_size: Largest batch the network step runs.
        network_instances: Instances of the network step.
        decode_instances: Instances (processes) of the decode step.
        decode_threads: FFmpeg decoder threads per decode instance (0 = FFmpeg's choice,
            about one per core; 1 = decode on the instance's own thread).
        dynamic_batching: Whether the network step combines queued requests into batches
            (None: the target's :data:`DEFAULT_DYNAMIC_BATCHING`).
        max_queue_delay_us: How long the dynamic batcher may hold a request to form a larger
            batch; 0 batches only requests already waiting.
        intra_op_threads: onnxruntime threads per network instance (0 = onnxruntime's choice).
        limits: Input limits enforced by the decode step.
    """

    target: str = "python-onnxruntime"
    max_batch_size: int = 8
    network_instances: int = 2
    decode_instances: int = 2
    decode_threads: int = 0
    dynamic_batching: bool | None = None
    max_queue_delay_us: int = 2000
    intra_op_threads: int = 1
    limits: InputLimits = field(default_factory=InputLimits)

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise VideoclsError(f"target must be one of {', '.join(TARGETS)}, got {self.target!r}")
        if self.dynamic_batching is None:
            object.__setattr__(self, "dynamic_batching", DEFAULT_DYNAMIC_BATCHING[self.target])
        for name in ("max_batch_size", "network_instances", "decode_instances"):
            if getattr(self, name) < 1:
                raise VideoclsError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("max_queue_delay_us", "intra_op_threads", "decode_threads"):
            if getattr(self, name) < 0:
                raise VideoclsError(f"{name} must be >= 0, got {getattr(self, name)}")


@dataclass(frozen=True)
class StepNames:
    """Names of an ensemble and its three steps (``<name>.decode`` etc.)."""

    ensemble: str

    @property
    def decode(self) -> str:
        return f"{self.ensemble}.decode"

    @property
    def network(self) -> str:
        return f"{self.ensemble}.network"

    @property
    def topk(self) -> str:
        return f"{self.ensemble}.topk"


def _tensor(container, name: str, dtype: int, dims: list[int], optional: bool = False) -> None:
    t = container.add()
    t.name = name
    t.data_type = dtype
    t.dims.extend(dims)
    if optional:
        t.optional = True


def _parameters(config: mc.ModelConfig, values: dict[str, str]) -> None:
    for key, value in values.items():
        config.parameters[key].string_value = value


def _cpu_instances(config: mc.ModelConfig, count: int) -> None:
    group = config.instance_group.add()
    group.kind = mc.ModelInstanceGroup.KIND_CPU
    group.count = count


def frames_dims(spec: ModelSpec) -> list[int]:
    """Per-video dims of the uint8 FRAMES tensor between decode and network."""
    p = spec.preprocess
    return [p.frames_per_video, 3, p.crop_size, p.crop_size]


def ensemble_config(spec: ModelSpec, options: ServingOptions) -> mc.ModelConfig:
    """The public model: VIDEO (+ optional TOPK) in, CLASS_IDS / SCORES / LABEL_NAMES out."""
    names = StepNames(spec.model_name)
    config = mc.ModelConfig(
        name=names.ensemble, platform="ensemble", max_batch_size=options.max_batch_size
    )
    # VIDEO is "optional" only so that a request without it still reaches the decode step
    # (with TOPK), which refuses it by name: the ensemble scheduler's own answer is an opaque
    # "deadlock" error. The decode step also checks TOPK before any decoding work.
    _tensor(config.input, "VIDEO", mc.TYPE_UINT8, [-1], optional=True)
    _tensor(config.input, "TOPK", mc.TYPE_INT32, [1], optional=True)
    _tensor(config.output, "CLASS_IDS", mc.TYPE_INT64, [-1])
    _tensor(config.output, "SCORES", mc.TYPE_FP32, [-1])
    _tensor(config.output, "LABEL_NAMES", mc.TYPE_STRING, [-1])
    steps = (
        (names.decode, {"VIDEO": "VIDEO", "TOPK": "TOPK"}, {"FRAMES": "frames"}),
        (names.network, {"FRAMES": "frames"}, {"LOGITS": "logits"}),
        (
            names.topk,
            {"LOGITS": "logits", "TOPK": "TOPK"},
            {n: n for n in ("CLASS_IDS", "SCORES", "LABEL_NAMES")},
        ),
    )
    for model_name, inputs, outputs in steps:
        step = config.ensemble_scheduling.step.add(model_name=model_name, model_version=-1)
        step.input_map.update(inputs)
        step.output_map.update(outputs)
    # Model-level facts a client can read back (videocls-client models).
    _parameters(config, _public_parameters(spec, options))
    return config


def _public_parameters(spec: ModelSpec, options: ServingOptions) -> dict[str, str]:
    return {
        "num_seg": str(spec.preprocess.num_seg),
        "num_classes": str(spec.num_classes),
        "default_topk": str(spec.topk),
        "max_video_bytes": str(options.limits.max_bytes),
        "max_video_side": str(options.limits.max_side),
    }


def decode_config(spec: ModelSpec, options: ServingOptions) -> mc.ModelConfig:
    """Python-backend decode step (``videocls_preprocess``), one process per instance."""
    config = mc.ModelConfig(
        name=StepNames(spec.model_name).decode,
        backend="python",
        max_batch_size=options.max_batch_size,
    )
    _tensor(config.input, "VIDEO", mc.TYPE_UINT8, [-1], optional=True)
    _tensor(config.input, "TOPK", mc.TYPE_INT32, [1], optional=True)
    _tensor(config.output, "FRAMES", mc.TYPE_UINT8, frames_dims(spec))
    _cpu_instances(config, options.decode_instances)
    _parameters(
        config,
        {
            **spec.preprocess.to_parameters(),
            **options.limits.to_parameters(),
            "num_classes": str(spec.num_classes),
            "decode_threads": str(options.decode_threads),
        },
    )
    return config


def network_config(spec: ModelSpec, options: ServingOptions) -> mc.ModelConfig:
    """The network step for the chosen target (Python+onnxruntime, native ORT or TensorRT)."""
    config = mc.ModelConfig(
        name=StepNames(spec.model_name).network, max_batch_size=options.max_batch_size
    )
    if options.target == "python-onnxruntime":
        config.backend = "python"
        _parameters(config, {"intra_op_threads": str(options.intra_op_threads)})
    elif options.target == "onnxruntime":
        config.platform = "onnxruntime_onnx"
        config.default_model_filename = "model.onnx"
        if options.intra_op_threads:
            _parameters(config, {"intra_op_thread_count": str(options.intra_op_threads)})
    else:
        config.platform = "tensorrt_plan"
        config.default_model_filename = "model.plan"
    _tensor(config.input, "FRAMES", mc.TYPE_UINT8, frames_dims(spec))
    _tensor(config.output, "LOGITS", mc.TYPE_FP32, [spec.num_classes])
    if options.dynamic_batching:
        config.dynamic_batching.SetInParent()
        config.dynamic_batching.max_queue_delay_microseconds = options.max_queue_delay_us
    group = config.instance_group.add()
    group.count = options.network_instances
    group.kind = (
        mc.ModelInstanceGroup.KIND_GPU
        if options.target == "tensorrt"
        else mc.ModelInstanceGroup.KIND_CPU
    )
    warmup = config.model_warmup.add(name="zero_frames", batch_size=1)
    data = warmup.inputs["FRAMES"]
    data.data_type = mc.TYPE_UINT8
    data.dims.extend(frames_dims(spec))
    data.zero_data = True
    return config


def topk_config(spec: ModelSpec, options: ServingOptions) -> mc.ModelConfig:
    """Python-backend top-k step; labels come from ``labels.txt`` beside the config."""
    config = mc.ModelConfig(
        name=StepNames(spec.model_name).topk,
        backend="python",
        max_batch_size=options.max_batch_size,
    )
    _tensor(config.input, "LOGITS", mc.TYPE_FP32, [spec.num_classes])
    _tensor(config.input, "TOPK", mc.TYPE_INT32, [1], optional=True)
    _tensor(config.output, "CLASS_IDS", mc.TYPE_INT64, [-1])
    _tensor(config.output, "SCORES", mc.TYPE_FP32, [-1])
    _tensor(config.output, "LABEL_NAMES", mc.TYPE_STRING, [-1])
    _cpu_instances(config, 1)
    _parameters(config, {"default_topk": str(spec.topk)})
    return config


def render(config: mc.ModelConfig) -> str:
    """Serialises a config to ``config.pbtxt`` text."""
    return text_format.MessageToString(config)


def tensorrt_build_command(spec: ModelSpec, options: ServingOptions) -> str:
    """The trtexec command that builds ``1/model.plan`` on the GPU node (fixed T, dynamic batch)."""
    dims = "x".join(str(d) for d in frames_dims(spec))
    opt = max(1, options.max_batch_size // 2)
    return (
        "trtexec --onnx=model.onnx --saveEngine=1/model.plan "
        f"--minShapes=FRAMES:1x{dims} --optShapes=FRAMES:{opt}x{dims} "
        f"--maxShapes=FRAMES:{options.max_batch_size}x{dims}"
    )
