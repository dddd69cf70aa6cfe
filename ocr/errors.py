"""One exception hierarchy for the whole tool, each class carrying its exit code.

The library raises these; only `ocr.cli` turns them into a one-line message on stderr
and the process exit code, so every command maps the same failure to the same code.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = [
    "ExitCode",
    "OcrError",
    "InputError",
    "ImageError",
    "ModelError",
    "DataError",
]


class ExitCode(IntEnum):
    """Process exit codes. 0 read, 1 nothing readable, 2 bad input or usage."""

    ok = 0
    nothing_read = 1
    some_files_failed = 1
    bad_args = 2
    input_file = 2
    model_file = 2
    internal = 3
    interrupted = 130


class OcrError(Exception):
    """Base of every error this tool raises on purpose."""

    exit_code = ExitCode.bad_args


class InputError(OcrError):
    """A file or argument given by the user cannot be used."""

    exit_code = ExitCode.input_file


class ImageError(InputError):
    """Not a readable image: missing, empty, truncated, disguised, too large, or an unsupported mode."""


class DataError(InputError):
    """A labelled folder or data file is malformed (labels.csv, boxes.jsonl, IDX files)."""


class ModelError(OcrError):
    """A model file is missing, corrupt, or does not match what the reader expects."""

    exit_code = ExitCode.model_file
