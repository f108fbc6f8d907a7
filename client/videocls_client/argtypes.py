"""argparse value types shared by the ``videocls-client`` commands."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def integer(text: str) -> int:
    """An ``int`` argument, with argparse's one-line error otherwise."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None


def int_at_least(minimum: int) -> Callable[[str], int]:
    """An ``int`` argument that must be ``>= minimum``."""

    def parse(text: str) -> int:
        value = integer(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is not >= {minimum}")
        return value

    parse.__name__ = f"int_at_least_{minimum}"
    return parse
