"""The client's one exception hierarchy, and the CLI exit code of each kind.

Every error the client raises on purpose derives from :class:`VideoclsClientError`. gRPC
statuses from the server are mapped onto it by :func:`videocls_client.transport.map_error`:

========================  ====================================  =========
exception                 cause                                 exit code
========================  ====================================  =========
ConfigError               bad option (also a ``ValueError``)    2
ServerUnavailableError    UNAVAILABLE after the retries         3
ModelNotFoundError        NOT_FOUND, or the model is not ready  4
InputNotFoundError        missing path, empty folder, URL fail  5
InvalidVideoError         INVALID_ARGUMENT: the server refused  6
ServerError               any other gRPC status (INTERNAL...)   7
RequestTimeoutError       DEADLINE_EXCEEDED                     8
VisualizationError        cannot draw or save a video           9
========================  ====================================  =========
"""

from __future__ import annotations


class VideoclsClientError(Exception):
    """Base class of every error raised by ``videocls_client``.

    Attributes:
        exit_code: The ``videocls-client`` exit status for this kind of error.
    """

    exit_code = 1


class ConfigError(VideoclsClientError, ValueError):
    """An option or argument is invalid (raised at construction, before any request)."""

    exit_code = 2


class ServerUnavailableError(VideoclsClientError):
    """The server cannot be reached (gRPC UNAVAILABLE, after the configured retries)."""

    exit_code = 3


class ModelNotFoundError(VideoclsClientError):
    """The server has no such model, or it is not ready."""

    exit_code = 4


class InvalidInputError(VideoclsClientError):
    """One input cannot be classified; the caller's fault, the other inputs may still work.

    Attributes:
        input_path: The input (path or URL) this error is about, if known.
    """

    exit_code = 5

    def __init__(self, message: str, input_path: str | None = None) -> None:
        super().__init__(message)
        self.input_path = input_path


class InputNotFoundError(InvalidInputError):
    """A path does not exist, a folder holds no video file, or a URL cannot be downloaded."""

    exit_code = 5


class InvalidVideoError(InvalidInputError):
    """The server refused the video (INVALID_ARGUMENT): not a video, damaged, or too large."""

    exit_code = 6


class ServerError(VideoclsClientError):
    """The server failed the request for another reason (INTERNAL, UNAUTHENTICATED...).

    Attributes:
        status: The gRPC status name, e.g. ``"INTERNAL"``, when known.
    """

    exit_code = 7

    def __init__(self, message: str, status: str | None = None) -> None:
        super().__init__(message)
        self.status = status


class RequestTimeoutError(VideoclsClientError):
    """The request did not complete within its deadline (DEADLINE_EXCEEDED)."""

    exit_code = 8


class VisualizationError(VideoclsClientError):
    """A labelled video cannot be drawn or written (font, PyAV, OpenCV or Pillow missing)."""

    exit_code = 9


#: Exit status of the CLI per outcome, for its ``--help`` and the docs.
EXIT_CODES: dict[int, str] = {
    0: "every input was classified",
    1: "unexpected error (a bug: please report it)",
    2: "usage error: bad option or argument",
    3: "server unreachable (UNAVAILABLE after the retries)",
    4: "model not found or not ready on the server",
    5: "input missing: no such file, no video in a folder, URL download failed",
    6: "invalid video: the server refused a file (not a video, damaged, too large)",
    7: "server error (INTERNAL or another gRPC status)",
    8: "request timed out (DEADLINE_EXCEEDED)",
    9: "cannot draw or save a labelled video (font or video library missing)",
    10: "dataset breaks PaddleX's VideoClsDataset layout (file and line named)",
    130: "interrupted (Ctrl-C)",
}
