"""Folders of images → one result row per file, streamed to CSV or JSONL.

Paths are listed lazily and handed out in chunks; each worker process loads the model once
and reads a whole chunk with ``Reader.read_batch`` (the glyphs of all its images in one
matrix product). Rows are written as they come back, in order of completion, and flushed
one by one, so an interrupted run leaves a valid file holding every finished row; ``resume``
skips the files already in it. A file that cannot be read becomes a row with status
``error`` and a one-line reason; the run goes on.

The same chunk function runs on a ``dask.distributed`` cluster (``dask=ADDRESS`` or
``"local"``) when one machine is not enough.
"""

from __future__ import annotations

import csv
import fnmatch
import json
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ocr.errors import DataError, InputError, OcrError

__all__ = [
    "IMAGE_SUFFIXES",
    "BatchOptions",
    "display_name",
    "single_threaded",
    "Row",
    "Summary",
    "iter_images",
    "read_chunk",
    "read_many",
    "RowWriter",
    "finished_files",
    "run",
]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp")
CSV_COLUMNS = ("file", "text", "confidence", "status", "error")


@dataclass(frozen=True)
class BatchOptions:
    """What every worker needs to read a chunk (small and picklable)."""

    model: str | None = None  # model file; None: the shipped 28×28 model
    length: int | None = None  # digits expected per image
    roi: tuple[int, int, int, int] | None = None  # region (x, y, w, h) to read in every image
    drop_rejected: bool = False
    max_pixels: int | None = None  # image size limits; None: the library's defaults
    max_bytes: int | None = None
    glyphs: bool = True  # fill Row.glyphs (JSONL needs them; CSV does not, and they cost time)
    pattern: str | None = None  # expected format, e.g. r"\d{3}-\d{4}"
    min_confidence: float = 0.0  # readings below this are refused (status "empty")
    engine: str = "auto"  # see ocr.reader.ENGINES


@dataclass(frozen=True)
class Row:
    """The result for one file.

    Attributes:
        file: the path as given or found.
        text: the digits read ("" when empty or failed).
        confidence: the reading's confidence (0 when empty or failed).
        status: "ok", "empty" (nothing readable) or "error" (the file could not be read).
        error: the one-line reason for "error", or for a reading refused by
            ``min_confidence`` (status "empty"), else "".
        glyphs: per glyph {char, box, prob, alternatives} (JSONL output only).
    """

    file: str
    text: str
    confidence: float
    status: str
    error: str = ""
    glyphs: tuple[dict, ...] = ()

    def to_dict(self, *, glyphs: bool = True) -> dict:
        out = {"file": self.file, "text": self.text, "confidence": round(self.confidence, 6),
               "status": self.status, "error": self.error}
        if glyphs:
            out["glyphs"] = list(self.glyphs)
        return out


@dataclass(frozen=True)
class Summary:
    files: int
    read: int
    empty: int
    errors: int
    seconds: float

    @property
    def files_per_second(self) -> float:
        return self.files / self.seconds if self.seconds > 0 else 0.0

    def __str__(self) -> str:
        return (f"files {self.files}, read {self.read}, empty {self.empty}, errors {self.errors}, "
                f"{self.seconds:.1f} s, {self.files_per_second:,.0f} files/s")


# --- finding the files ---------------------------------------------------------------------


def display_name(path: str) -> str:
    """A path as rows show it: valid UTF-8, with bytes that are not UTF-8 written as ``\\xe8``.

    Rows and ``--resume`` both use this form, so an odd file name is matched again.
    """
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _matches(name: str, glob: str | None) -> bool:
    if glob is not None:
        return fnmatch.fnmatch(name, glob)
    return name.lower().endswith(IMAGE_SUFFIXES)


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a symbolic link loop, for one
        return False


def iter_images(inputs: Iterable[str | Path], *, recursive: bool = False,
                glob: str | None = None) -> Iterator[str]:
    """Yield image paths lazily: files as given, folders' images in name order.

    Args:
        inputs: files and folders.
        recursive: descend into sub-folders (symbolic links to folders are not followed,
            so a link loop cannot trap the walk).
        glob: a pattern such as ``"*.png"`` for the file names; default: the image suffixes.

    Raises:
        InputError: an input that does not exist.
    """
    for item in inputs:
        path = os.fspath(item)
        if os.path.isdir(path):
            if recursive:
                for folder, dirs, files in os.walk(path, followlinks=False):
                    dirs.sort()
                    for name in sorted(files):
                        if _matches(name, glob):
                            yield os.path.join(folder, name)
            else:
                with os.scandir(path) as entries:
                    # A sub-folder is skipped unless its name looks like an image file (then
                    # it gets an error row); a link that cannot be followed is kept for its row.
                    names = sorted(e.name for e in entries if not _is_dir(e) or _matches(e.name, glob))
                for name in names:
                    if _matches(name, glob):
                        yield os.path.join(path, name)
        elif os.path.exists(path) or os.path.islink(path):
            yield path
        else:
            raise InputError(f"{path}: no such file or folder")


# --- reading a chunk (in a worker) ---------------------------------------------------------

_readers: dict[tuple, Any] = {}  # one Reader per model file and limits, per process


def _reader(options: BatchOptions):
    key = (options.model, options.engine, options.max_pixels, options.max_bytes)
    if key not in _readers:
        from ocr import image
        from ocr.reader import Reader

        _readers[key] = Reader(options.model, engine=options.engine,
                               max_pixels=options.max_pixels or image.MAX_PIXELS,
                               max_bytes=options.max_bytes or image.MAX_BYTES)
    return _readers[key]


def single_threaded(*, blas: bool = True) -> None:
    """One OpenCV thread (and, with ``blas``, one BLAS thread) for this process.

    On strip-sized images, OpenCV's and BLAS's thread pools cost more than they save (a
    connected-components pass takes about 108 µs with two threads, 71 µs with one), and
    worker processes already use every core. Limiting BLAS costs some 40 ms once
    (threadpoolctl inspects the loaded libraries): worth it for a batch, not for one image.
    """
    import cv2

    cv2.setNumThreads(1)
    if blas:
        _one_blas_thread()


def _one_blas_thread() -> None:
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # threadpoolctl comes with scikit-learn; without it, keep the default
        pass


def _init_worker() -> None:
    """Pool initializer: one thread, Ctrl-C left to the parent, and exit with the parent.

    Two workers on two cores each running two BLAS or OpenCV threads fight over the cores
    (about half the throughput); Ctrl-C is the parent's to handle (it cancels and flushes); and when the
    parent is killed outright, Linux's parent-death signal stops the orphaned workers.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _one_blas_thread()  # OpenCV's one thread comes from the parent (see _process_pool)
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            pass
        if os.getppid() == 1:  # the parent died before prctl took effect
            os._exit(1)


def read_chunk(paths: Sequence[str], options: BatchOptions) -> list[Row]:
    """Read a chunk of files with the worker's cached reader; one ``Row`` per path, in order."""
    reader = _reader(options)
    results = reader.read_batch(list(paths), names=list(paths), length=options.length,
                                drop_rejected=options.drop_rejected, roi=options.roi,
                                pattern=options.pattern)
    rows = []
    for path, result in zip(paths, results):
        name = display_name(path)
        if isinstance(result, OcrError):
            rows.append(Row(name, "", 0.0, "error", str(result).replace("\n", " ")))
        elif result.below(options.min_confidence):
            reason = f"confidence {result.confidence:.4f} below --min-confidence {options.min_confidence}"
            rows.append(Row(name, "", result.confidence, "empty", reason))
        elif result.text:
            glyphs = tuple(result.to_dict()["glyphs"]) if options.glyphs else ()
            rows.append(Row(name, result.text, result.confidence, "ok", "", glyphs))
        else:
            rows.append(Row(name, "", 0.0, "empty"))
    return rows


def _chunks(paths: Iterable[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for path in paths:
        chunk.append(path)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _in_process(chunks: Iterator[list[str]], options: BatchOptions) -> Iterator[list[Row]]:
    for chunk in chunks:
        yield read_chunk(chunk, options)


def _process_pool(chunks: Iterator[list[str]], options: BatchOptions, jobs: int) -> Iterator[list[Row]]:
    """Chunks through a process pool, at most 2 × jobs in flight, yielded as they finish."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    import cv2

    # Workers are forked from this process. OpenCV's thread count is set here, before they
    # exist, and inherited: a forked child that changes it waits forever for pool threads
    # that were not copied. It is put back when the pool is done.
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker)
    pending: set = set()
    try:
        for chunk in chunks:
            pending.add(pool.submit(read_chunk, chunk, options))
            if len(pending) >= 2 * jobs:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        cv2.setNumThreads(threads)


def _dask(chunks: Iterator[list[str]], options: BatchOptions, jobs: int, address: str) -> Iterator[list[Row]]:
    """Chunks on a dask.distributed cluster (``address``, or "local" for a LocalCluster)."""
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as e:
        raise InputError("--dask needs dask.distributed: pip install 'digit-strip-ocr[dask]'") from e
    cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                           dashboard_address=None) if address == "local" else None
    client = Client(cluster if cluster is not None else address)
    try:
        window = as_completed()
        in_flight = 0
        for chunk in chunks:
            window.add(client.submit(read_chunk, chunk, options, pure=False))
            in_flight += 1
            if in_flight >= 4 * jobs:
                future = next(window)
                in_flight -= 1
                yield future.result()
        for future in window:
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def read_many(
    paths: Iterable[str | Path],
    *,
    jobs: int = 1,
    model: str | Path | None = None,
    length: int | None = None,
    roi: tuple[int, int, int, int] | None = None,
    drop_rejected: bool = False,
    chunk_size: int = 64,
    dask: str | None = None,
    max_pixels: int | None = None,
    max_bytes: int | None = None,
    glyphs: bool = True,
    pattern: str | None = None,
    min_confidence: float = 0.0,
    engine: str = "auto",
) -> Iterator[Row]:
    """Read many images lazily, yielding one ``Row`` per path in order of completion.

    Args:
        paths: image paths (any iterable; consumed lazily).
        jobs: worker processes; 1 reads in this process, 0 uses every core.
        model, length, roi, drop_rejected: as for ``Reader.read``.
        max_pixels, max_bytes: image size limits (default: the library's).
        chunk_size: files per task handed to a worker.
        dask: a dask.distributed scheduler address, or "local" for a LocalCluster.
        glyphs: fill each row's glyph boxes and probabilities (off: faster, text only).
        pattern: the expected format, as for ``Reader.read``.
        min_confidence: a reading below this confidence is refused: status "empty", reason in ``error``.
        engine: "auto", "glyphs" or "sequence" (see ``ocr.reader.ENGINES``).

    >>> for row in read_many(["a.png", "b.png"], jobs=2):   # doctest: +SKIP
    ...     print(row.file, row.text, row.status)
    """
    jobs = jobs or os.cpu_count() or 1
    options = BatchOptions(model=os.fspath(model) if model is not None else None,
                           length=length, roi=roi, drop_rejected=drop_rejected,
                           max_pixels=max_pixels, max_bytes=max_bytes, glyphs=glyphs,
                           pattern=pattern, min_confidence=min_confidence, engine=engine)
    chunks = _chunks((os.fspath(p) for p in paths), chunk_size)
    if dask:
        results = _dask(chunks, options, jobs, dask)
    else:
        # A bad model is an error before any file is read; and workers forked from here
        # find the reader loaded (copy-on-write) instead of each loading the models again.
        _reader(options)
        results = _in_process(chunks, options) if jobs == 1 else _process_pool(chunks, options, jobs)
    for rows in results:
        yield from rows


# --- writing the rows ------------------------------------------------------------------------


def _format(path: str | Path) -> str:
    return "jsonl" if str(path).endswith((".jsonl", ".json", ".ndjson")) else "csv"


def finished_files(path: str | Path) -> set[str]:
    """The files already in an output (for resume), after cutting off a half-written last row.

    Raises:
        DataError: the file exists but is not an output of this tool.
    """
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return set()
    _drop_partial_line(path)
    done = set()
    with path.open(encoding="utf-8", newline="") as f:
        if _format(path) == "jsonl":
            for n, line in enumerate(f, start=1):
                if line.strip():
                    try:
                        done.add(json.loads(line)["file"])
                    except (ValueError, KeyError, TypeError) as e:
                        raise DataError(f"{path}:{n}: not a row of an ocr batch output ({e})") from e
        else:
            reader = csv.DictReader(f)
            if reader.fieldnames is None or "file" not in reader.fieldnames:
                raise DataError(f"{path}: not an ocr batch output (no 'file' column)")
            done.update(row["file"] for row in reader if row.get("file"))
    return done


def _drop_partial_line(path: Path) -> None:
    """Truncate a file after its last newline: a row cut off by a crash is read again."""
    with path.open("rb+") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        step = min(size, 1 << 16)
        f.seek(size - step)
        tail = f.read(step)
        if tail.endswith(b"\n"):
            return
        cut = tail.rfind(b"\n")
        f.truncate(size - step + cut + 1 if cut >= 0 else 0)


class RowWriter:
    """Append rows to a CSV or JSONL file (or stdout for "-"), flushing after every row."""

    def __init__(self, target: str | Path, *, append: bool = False, stream: TextIO | None = None) -> None:
        self.format = _format(target)
        self.is_stdout = str(target) == "-"
        if self.is_stdout:
            self.file = stream or sys.stdout
            new = True
        else:
            path = Path(target)
            new = not (append and path.exists() and path.stat().st_size > 0)
            self.file = path.open("a" if append else "w", encoding="utf-8", newline="")
        self._csv = csv.writer(self.file) if self.format == "csv" else None
        if self._csv is not None and new:
            self._csv.writerow(CSV_COLUMNS)
            self.file.flush()

    def write(self, row: Row) -> None:
        if self._csv is not None:
            self._csv.writerow([row.file, row.text, f"{row.confidence:.6f}", row.status, row.error])
        else:
            self.file.write(json.dumps(row.to_dict()) + "\n")
        self.file.flush()

    def close(self) -> None:
        if not self.is_stdout:
            self.file.close()

    def __enter__(self) -> "RowWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def run(
    inputs: Sequence[str | Path],
    out: str | Path,
    *,
    jobs: int = 1,
    recursive: bool = False,
    glob: str | None = None,
    resume: bool = False,
    progress: Callable[[int, Row], None] | None = None,
    stream: TextIO | None = None,
    clock: Callable[[], float] | None = None,
    **read_options,
) -> Summary:
    """Read every image under ``inputs`` and write one row per file to ``out``.

    Args:
        inputs: files and folders.
        out: ``.csv`` or ``.jsonl`` path, or "-" for stdout (CSV unless ``stream`` says).
        jobs: worker processes (0: all cores).
        recursive, glob: as for ``iter_images``.
        resume: skip files already in ``out`` and append to it.
        progress: called with (1, row) per written row.
        **read_options: model, length, pattern, min_confidence, roi, drop_rejected, chunk_size,
            dask (see ``read_many``).

    Returns:
        Counts of files read, empty and failed, and the seconds taken.
    """
    import time

    clock = clock or time.perf_counter
    start = clock()
    skip = finished_files(out) if resume and str(out) != "-" else set()
    paths = (p for p in iter_images(inputs, recursive=recursive, glob=glob)
             if not skip or display_name(p) not in skip)
    counts = {"ok": 0, "empty": 0, "error": 0}
    with RowWriter(out, append=resume, stream=stream) as writer:
        for row in read_many(paths, jobs=jobs, glyphs=writer.format == "jsonl", **read_options):
            writer.write(row)
            counts[row.status] += 1
            if progress is not None:
                progress(1, row)
    return Summary(files=sum(counts.values()), read=counts["ok"], empty=counts["empty"],
                   errors=counts["error"], seconds=clock() - start)
