"""Generated config.pbtxt files: every target, parsed back through the Triton schema."""

import pytest
from google.protobuf import text_format
from tritonclient.grpc import model_config_pb2 as mc
from videocls_preprocess.errors import VideoclsError
from videocls_preprocess.spec import InputLimits, PreprocessSpec
from videocls_repository import tritonconfig as tc
from videocls_repository.modelspec import ModelSpec

SPEC = ModelSpec(
    model_name="PP-TSMv2-LCNetV2_16frames_uniform",
    preprocess=PreprocessSpec(num_seg=16, short_size=256, crop_size=224),
    topk=1,
    labels=tuple(f"c{i}" for i in range(400)),
)


def _roundtrip(config: mc.ModelConfig) -> mc.ModelConfig:
    return text_format.Parse(tc.render(config), mc.ModelConfig())


@pytest.mark.parametrize("target", tc.TARGETS)
def test_network_config_per_target(target):
    options = tc.ServingOptions(
        target=target, max_batch_size=4, network_instances=3, dynamic_batching=True
    )
    config = _roundtrip(tc.network_config(SPEC, options))
    assert config.name == "PP-TSMv2-LCNetV2_16frames_uniform.network"
    assert list(config.input[0].dims) == [16, 3, 224, 224]
    assert config.input[0].data_type == mc.TYPE_UINT8
    assert list(config.output[0].dims) == [400]
    assert config.max_batch_size == 4
    assert config.instance_group[0].count == 3
    assert config.dynamic_batching.max_queue_delay_microseconds == 2000
    expected = {
        "python-onnxruntime": ("python", ""),
        "onnxruntime": ("", "onnxruntime_onnx"),
        "tensorrt": ("", "tensorrt_plan"),
    }[target]
    assert (config.backend, config.platform) == expected
    assert config.model_warmup[0].inputs["FRAMES"].zero_data


def test_ensemble_wires_steps_in_order():
    config = _roundtrip(tc.ensemble_config(SPEC, tc.ServingOptions()))
    steps = config.ensemble_scheduling.step
    assert [s.model_name for s in steps] == [
        f"{SPEC.model_name}.decode",
        f"{SPEC.model_name}.network",
        f"{SPEC.model_name}.topk",
    ]
    assert steps[0].output_map["FRAMES"] == steps[1].input_map["FRAMES"]
    assert steps[1].output_map["LOGITS"] == steps[2].input_map["LOGITS"]
    # VIDEO is optional only so that its absence reaches the decode step (named error there).
    assert {i.name: i.optional for i in config.input} == {"VIDEO": True, "TOPK": True}
    assert dict(steps[0].input_map) == {"VIDEO": "VIDEO", "TOPK": "TOPK"}
    assert [o.name for o in config.output] == ["CLASS_IDS", "SCORES", "LABEL_NAMES"]


def test_decode_parameters_rebuild_the_specs():
    limits = InputLimits(max_bytes=1000, max_side=640)
    config = _roundtrip(tc.decode_config(SPEC, tc.ServingOptions(limits=limits)))
    params = {k: v.string_value for k, v in config.parameters.items()}
    assert PreprocessSpec.from_parameters(params) == SPEC.preprocess
    assert InputLimits.from_parameters(params) == limits


def test_decode_instances_and_threads_reach_the_decode_step():
    options = tc.ServingOptions(decode_instances=3, decode_threads=1)
    config = _roundtrip(tc.decode_config(SPEC, options))
    assert config.instance_group[0].count == 3
    assert config.instance_group[0].kind == mc.ModelInstanceGroup.KIND_CPU
    assert config.parameters["decode_threads"].string_value == "1"


def test_no_dynamic_batching_when_disabled():
    config = tc.network_config(SPEC, tc.ServingOptions(dynamic_batching=False))
    assert not config.HasField("dynamic_batching")


@pytest.mark.parametrize("target", tc.TARGETS)
def test_dynamic_batching_by_default_on_gpu_only(target):
    config = _roundtrip(tc.network_config(SPEC, tc.ServingOptions(target=target)))
    assert config.HasField("dynamic_batching") == (target == "tensorrt")
    assert tc.DEFAULT_DYNAMIC_BATCHING[target] == (target == "tensorrt")


def test_zero_delay_still_batches_what_is_queued():
    options = tc.ServingOptions(dynamic_batching=True, max_queue_delay_us=0)
    config = _roundtrip(tc.network_config(SPEC, options))
    assert config.HasField("dynamic_batching")
    assert config.dynamic_batching.max_queue_delay_microseconds == 0


def test_tensorrt_build_command_has_fixed_t_dynamic_batch():
    cmd = tc.tensorrt_build_command(SPEC, tc.ServingOptions(max_batch_size=8))
    assert "--minShapes=FRAMES:1x16x3x224x224" in cmd
    assert "--maxShapes=FRAMES:8x16x3x224x224" in cmd


@pytest.mark.parametrize(
    "kwargs",
    [
        {"target": "tflite"},
        {"max_batch_size": 0},
        {"max_queue_delay_us": -1},
        {"decode_instances": 0},
        {"decode_threads": -1},
    ],
)
def test_bad_options_rejected(kwargs):
    with pytest.raises(VideoclsError):
        tc.ServingOptions(**kwargs)
