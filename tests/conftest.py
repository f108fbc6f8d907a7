"""Fixtures shared by unit and integration tests.

This file also puts ``tests/`` on ``sys.path`` (pytest's default ``prepend`` import mode does
that for a conftest outside a package), so test modules can ``from videos import ...``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from parity_report import summary_lines
from videos import build_corpus


def pytest_terminal_summary(terminalreporter) -> None:
    """Prints how close the served answers were to PaddleX's (see ``parity_report``)."""
    lines = summary_lines()
    if lines:
        terminalreporter.section("served vs PaddleX 3.7.2")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def video_corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every entry of ``videos.CORPUS`` written once per session: ``{name: path}``."""
    return build_corpus(tmp_path_factory.mktemp("video_corpus"))
