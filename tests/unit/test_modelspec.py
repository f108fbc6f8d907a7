"""inference.yml -> ModelSpec, and the errors a bad yml gives."""

import copy

import pytest
import yaml
from videocls_preprocess.errors import ModelSourceError
from videocls_repository.modelspec import ModelSpec

GOOD = {
    "Global": {"model_name": "PP-TSMv2-LCNetV2_16frames_uniform"},
    "PreProcess": {
        "transform_ops": [
            {"ReadVideo": {"num_seg": 16, "seg_len": 1, "sample_type": "uniform"}},
            {"Scale": {"short_size": 256}},
            {"CenterCrop": {"target_size": 224}},
            {"Image2Array": {"data_format": "tchw"}},
            {"NormalizeVideo": {"mean": [0.4, 0.5, 0.6], "std": [0.1, 0.2, 0.3]}},
        ]
    },
    "PostProcess": {"Topk": {"topk": 5, "label_list": [f"c{i}" for i in range(400)]}},
}


def test_parses_every_field(tmp_path):
    path = tmp_path / "inference.yml"
    path.write_text(yaml.safe_dump(GOOD))
    spec = ModelSpec.from_yaml(path)
    assert spec.model_name == "PP-TSMv2-LCNetV2_16frames_uniform"
    assert spec.topk == 5 and spec.num_classes == 400 and spec.labels[7] == "c7"
    p = spec.preprocess
    assert (p.num_seg, p.seg_len, p.short_size, p.crop_size) == (16, 1, 256, 224)
    assert p.mean == (0.4, 0.5, 0.6) and p.std == (0.1, 0.2, 0.3)


def _without(path_keys):
    data = copy.deepcopy(GOOD)
    node = data
    for key in path_keys[:-1]:
        node = node[key]
    if isinstance(node, list):
        node.pop(path_keys[-1])
    else:
        del node[path_keys[-1]]
    return data


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (("Global", "model_name"), "Global.model_name"),
        (("Global",), "Global"),
        (("PreProcess",), "transform_ops"),
        (("PreProcess", "transform_ops", 0), "ReadVideo"),
        (("PreProcess", "transform_ops", 1), "Scale"),
        (("PreProcess", "transform_ops", 2), "CenterCrop"),
        (("PostProcess", "Topk", "label_list"), "label_list"),
        (("PostProcess", "Topk", "topk"), "topk"),
    ],
)
def test_missing_field_is_named(keys, message):
    with pytest.raises(ModelSourceError, match=message):
        ModelSpec.from_dict(_without(keys))


def test_unreadable_yaml(tmp_path):
    path = tmp_path / "inference.yml"
    path.write_text("Global: [unclosed")
    with pytest.raises(ModelSourceError, match="not a readable YAML"):
        ModelSpec.from_yaml(path)
    with pytest.raises(ModelSourceError, match="not found"):
        ModelSpec.from_yaml(tmp_path / "missing.yml")
