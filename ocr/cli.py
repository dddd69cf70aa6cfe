"""The ``ocr`` command: a thin typer layer over the library.

Each command parses its options, calls the library, and prints: results to stdout (text,
or JSON with ``--json``), progress and messages to stderr. Errors from the library are
``OcrError``s; ``_handle_errors`` is the one place that turns them into a one-line message
and the exit code the error carries (a traceback only with ``--verbose``).
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ocr.errors import ExitCode, InputError, OcrError

app = typer.Typer(
    help="Read printed digit strips (captchas, form fields, plates) offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_state = {"verbose": False}

ModelPath = Annotated[
    Optional[Path],
    typer.Option("--model", "-m", help="Model file (.npz). Default: the shipped models/digits28.npz."),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
Length = Annotated[
    Optional[int], typer.Option("--length", "-n", min=1, help="Number of digits expected, if known.")
]
PatternOption = Annotated[
    Optional[str],
    typer.Option("--pattern", "-p", help="Expected format, e.g. '\\d{3}-\\d{4}': \\d, \\d{n}, \\d{m,n}, \\d+ "
                 "and literal characters, which are matched, not read, and printed in the result. "
                 "A strip that cannot fit it reads as empty."),
]
MinConfidence = Annotated[
    float,
    typer.Option("--min-confidence", min=0.0, max=1.0,
                 help="Refuse a reading whose confidence (the product of its glyphs' probabilities, or "
                      "the sequence network's probability of the whole text) is below this: it counts as "
                      "empty (exit code 1). 0 keeps every reading."),
]
Engine = Annotated[
    str,
    typer.Option("--engine", "-e", help="auto: read glyph by glyph, and ask the sequence network (whole-strip "
                 "reading, models/sequence.npz) about tangled or doubtful strips, keeping the surer reading; "
                 "glyphs: glyph by glyph only (fastest); sequence: the sequence network only."),
]
MaxPixels = Annotated[
    int, typer.Option("--max-pixels", min=1, help="Refuse images declaring more pixels (checked before decoding).")
]
MaxBytes = Annotated[int, typer.Option("--max-bytes", min=1, help="Refuse image files larger than this.")]
_MAX_PIXELS, _MAX_BYTES = 40_000_000, 50 * 2**20  # ocr.image's defaults (not imported: start-up time)


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _handle_errors(fn):
    """Map OcrError → one stderr line + its exit code; Ctrl-C → 130; keep tracebacks for --verbose."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except OcrError as e:
            if _state["verbose"]:
                raise
            _err(f"error: {e}")
            raise typer.Exit(int(e.exit_code)) from None
        except KeyboardInterrupt:
            _err("interrupted")
            raise typer.Exit(int(ExitCode.interrupted)) from None

    return wrapper


def command(*args, **kwargs):
    """``app.command`` with the error mapping applied."""

    def register(fn):
        return app.command(*args, **kwargs)(_handle_errors(fn))

    return register


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks on errors.")] = False,
) -> None:
    _state["verbose"] = verbose
    # The library's notes (e.g. "holds several frames; reading the first") go to stderr.
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("note: %(message)s"))
    logger = logging.getLogger("ocr")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    # Pillow logs decoder complaints (e.g. a corrupt TIFF's sample count) before raising; the
    # raised error becomes our one line, so its log records stay off stderr.
    logging.getLogger("PIL").addHandler(logging.NullHandler())
    logging.getLogger("PIL").propagate = False


class _Bars:
    """Progress bars on stderr (rich) when it is a terminal; silent no-ops otherwise.

    ``bars.task(label, total)`` returns ``advance(n=1, note="")``; ``note`` is shown beside
    the bar (training shows the loss and accuracy of the last epoch there).
    """

    def __init__(self, *, enabled: bool = True) -> None:
        self.live = enabled and sys.stderr.isatty()
        self.progress = None

    def __enter__(self) -> "_Bars":
        if self.live:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn,
                                       TimeRemainingColumn)
            from rich.text import Text

            class Rate(ProgressColumn):
                """Items per second, once rich has measured a speed."""

                def render(self, task) -> Text:
                    return Text(f"{task.speed:,.0f}/s" if task.speed else "", style="progress.data.speed")

            self.progress = Progress(
                "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), Rate(),
                TimeRemainingColumn(), TextColumn("{task.fields[note]}"), console=Console(stderr=True),
            )
            self.progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.__exit__(*exc)

    def task(self, label: str, total: int):
        if self.progress is None:
            return lambda n=1, note="": None
        progress = self.progress
        task_id = progress.add_task(label, total=total, note="")

        def advance(n: int = 1, note: str = "") -> None:
            progress.update(task_id, advance=n, **({"note": note} if note else {}))

        return advance


def _progress(total: int, label: str):
    """One progress bar: a context manager yielding ``advance(n=1)``."""
    from contextlib import contextmanager

    @contextmanager
    def bar():
        with _Bars() as bars:
            yield bars.task(label, total)

    return bar()


# --- read ------------------------------------------------------------------------------


@command()
def read(
    images: Annotated[list[str], typer.Argument(help="Image files to read; '-' reads one image from stdin.")],
    model: ModelPath = None,
    length: Length = None,
    as_json: JsonFlag = False,
    debug: Annotated[
        Optional[Path], typer.Option("--debug", help="Write a debug overlay PNG per image into this folder.")
    ] = None,
    drop_rejected: Annotated[
        bool, typer.Option("--drop-rejected", help="Leave out glyphs that are not digits instead of printing '?'.")
    ] = False,
    pattern: PatternOption = None,
    min_confidence: MinConfidence = 0.0,
    engine: Engine = "auto",
    max_pixels: MaxPixels = _MAX_PIXELS,
    max_bytes: MaxBytes = _MAX_BYTES,
) -> None:
    """Read the digits in each IMAGE.

    One image: the digits alone on one line, so $(ocr read x.png) is the number.

    Several: one 'file<TAB>digits' line each.

    --json: one JSON object per image (text, confidence, each glyph's box and probabilities).

    --debug DIR: a picture per image of what the reader saw, the cut candidates it tried and the
    glyphs it chose, with each glyph's two best classes.

    Exit code 0 when every image gave digits, 1 when one gave nothing (or a reading was refused
    by --min-confidence), 2 for bad input.
    """
    from ocr.batch import single_threaded
    from ocr.pattern import parse as parse_pattern
    from ocr.reader import Reader

    single_threaded(blas=False)
    expected = parse_pattern(pattern) if pattern is not None else None
    reader = Reader(model, engine=engine, max_pixels=max_pixels, max_bytes=max_bytes)
    worst = ExitCode.ok
    for name in images:
        source = sys.stdin.buffer.read() if name == "-" else name
        label = "<stdin>" if name == "-" else name
        try:
            trace = reader.trace(source, length=length, drop_rejected=drop_rejected, name=label,
                                 pattern=expected)
        except InputError as e:
            if len(images) == 1:
                raise
            _err(f"error: {e}")
            worst = max(worst, e.exit_code)
            continue
        reading, refused = trace.reading, None
        if reading.below(min_confidence):
            refused, reading = reading, _refused(reading)
            _err(f"note: {label}: read {refused.text} at confidence {refused.confidence:.4f}, "
                 f"below --min-confidence {min_confidence}; refused")
        if not reading.text:
            worst = max(worst, ExitCode.nothing_read)
        if debug is not None:
            _write_debug(debug, label, trace, reader)
        if as_json:
            extra = {"refused": refused.text} if refused is not None else {}
            typer.echo(json.dumps({"file": label, **reading.to_dict(), **extra}))
        elif len(images) == 1:
            typer.echo(reading.text)
        else:
            typer.echo(f"{label}\t{reading.text}")
    raise typer.Exit(int(worst))


def _refused(reading):
    """The empty reading that replaces one refused by --min-confidence (its confidence kept)."""
    from ocr.decode import Reading

    return Reading(text="", confidence=reading.confidence, glyphs=())


def _write_debug(folder: Path, label: str, trace, reader) -> None:
    from PIL import Image

    from ocr.overlay import debug_overlay

    folder.mkdir(parents=True, exist_ok=True)
    stem = "stdin" if label == "<stdin>" else Path(label).stem
    picture = debug_overlay(trace, classes=reader.model.classes, input_size=reader.model.input_size)
    Image.fromarray(picture).save(folder / f"{stem}.debug.png")


# --- batch -----------------------------------------------------------------------------


def _parse_roi(text: Optional[str]) -> Optional[tuple[int, int, int, int]]:
    if text is None:
        return None
    try:
        x, y, w, h = (int(v) for v in text.split(","))
    except ValueError:
        raise typer.BadParameter(f"expected x,y,w,h in pixels, got {text!r}") from None
    if w < 1 or h < 1 or x < 0 or y < 0:
        raise typer.BadParameter(f"x and y must be >= 0, w and h >= 1, got {text!r}")
    return x, y, w, h


@command()
def batch(
    inputs: Annotated[list[Path], typer.Argument(help="Folders (and files) of images to read.")],
    out: Annotated[str, typer.Option("--out", "-o", help="results.csv or results.jsonl; '-' writes CSV to stdout.")],
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=0, help="Worker processes (0 = all cores).")] = 0,
    recursive: Annotated[bool, typer.Option("--recursive", "-r", help="Descend into sub-folders.")] = False,
    glob: Annotated[
        Optional[str], typer.Option("--glob", help="File names to read, e.g. '*.png' (default: image suffixes).")
    ] = None,
    resume: Annotated[bool, typer.Option(help="Skip files already in OUT and append to it.")] = False,
    model: ModelPath = None,
    length: Length = None,
    pattern: PatternOption = None,
    min_confidence: MinConfidence = 0.0,
    roi: Annotated[Optional[str], typer.Option(help="Read only this region of every image: x,y,w,h.")] = None,
    engine: Engine = "auto",
    dask: Annotated[
        Optional[str], typer.Option(help="Run on a dask.distributed scheduler at this address, or 'local'.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary.")] = False,
    max_pixels: MaxPixels = _MAX_PIXELS,
    max_bytes: MaxBytes = _MAX_BYTES,
) -> None:
    """Read every image in INPUTS and write one row per file (file, text, confidence, status, error).

    Rows are written as files finish and flushed one by one: an interrupted run keeps every finished row.

    --resume carries on from there. JSONL rows also hold each glyph's box and probabilities.

    A file that cannot be read gets status 'error' and a one-line reason; the run goes on. A reading
    refused by --min-confidence gets status 'empty' and the reason.

    Exit code 0 when every file was read, 1 when some were empty or unreadable, 2 for usage errors.
    """
    from ocr import batch as batch_lib
    from ocr.pattern import parse as parse_pattern

    batch_lib.single_threaded()  # this process reads too with --jobs 1; workers set their own
    if pattern is not None:
        parse_pattern(pattern)  # a bad pattern is a usage error before any file is read
    from ocr.reader import check_engine

    check_engine(engine)  # so is a bad engine
    options = dict(model=model, length=length, roi=_parse_roi(roi), dask=dask,
                   max_pixels=max_pixels, max_bytes=max_bytes, pattern=pattern,
                   min_confidence=min_confidence, engine=engine)
    with _Bars(enabled=not quiet) as bars:
        total = None
        if bars.live:  # a second, lazy pass over the names, for the bar's ETA
            total = sum(1 for _ in batch_lib.iter_images([str(p) for p in inputs], recursive=recursive,
                                                         glob=glob))
        advance = bars.task("reading", total)
        summary = batch_lib.run([str(p) for p in inputs], out, jobs=jobs, recursive=recursive,
                                glob=glob, resume=resume,
                                progress=lambda n, row: advance(n), **options)
    if not quiet:
        _err(str(summary))
    if summary.empty or summary.errors:
        raise typer.Exit(int(ExitCode.some_files_failed))


# --- eval ------------------------------------------------------------------------------


@command("eval")
def evaluate(
    folder: Annotated[Path, typer.Argument(help="A folder with images and labels.csv (file,text).")],
    model: ModelPath = None,
    length: Length = None,
    pattern: PatternOption = None,
    min_confidence: MinConfidence = 0.0,
    engine: Engine = "auto",
    as_json: JsonFlag = False,
    report: Annotated[
        Optional[Path], typer.Option("--report", help="Write a PNG: confusion heatmap and worst misreads.")
    ] = None,
    max_pixels: MaxPixels = _MAX_PIXELS,
    max_bytes: MaxBytes = _MAX_BYTES,
) -> None:
    """Score the model on a labelled FOLDER: exact-match rate, character accuracy, confusion matrix.

    --json prints {"n", "exact", "char_acc", "confusion", "misreads"} with fractions in 0..1.
    """
    from ocr.evaluate import evaluate_folder, read_labels, write_report
    from ocr.metrics import format_confusion
    from ocr.reader import Reader

    from ocr.pattern import parse as parse_pattern

    expected = parse_pattern(pattern) if pattern is not None else None
    reader = Reader(model, engine=engine, max_pixels=max_pixels, max_bytes=max_bytes)
    total = len(read_labels(folder))

    def read_one(path: Path) -> str:
        reading = reader.read(path, length=length, pattern=expected)
        return "" if reading.below(min_confidence) else reading.text

    with _progress(total, "reading") as advance:
        result = evaluate_folder(read_one, folder, progress=advance)
    s = result.score
    misreads = [
        {"file": result.files[i], "truth": t, "read": r, **({"error": result.errors[i]} if result.errors[i] else {})}
        for i, t, r in s.misreads
    ]
    if as_json:
        typer.echo(json.dumps({**s.to_dict(), "misreads": misreads}))
    else:
        typer.echo(f"images      {s.n}")
        typer.echo(f"exact       {s.exact:.2%}")
        typer.echo(f"char acc    {s.char_acc:.2%}")
        typer.echo("confusion (rows: truth, columns: read; ? refused, - missed)")
        typer.echo(format_confusion(s.confusion))
        for m in misreads[:10]:
            typer.echo(f"misread     {m['file']}: {m['truth']} → {m['read'] or '(empty)'}")
    if report is not None:
        write_report(result, folder, report, title=str(folder))
        _err(f"report written to {report}")


# --- synth -----------------------------------------------------------------------------


def _parse_length(text: str) -> tuple[int, int]:
    try:
        lo, _, hi = text.partition("-")
        low, high = int(lo), int(hi or lo)
    except ValueError:
        raise typer.BadParameter(f"expected N or MIN-MAX, got {text!r}") from None
    if not 1 <= low <= high <= 40:
        raise typer.BadParameter(f"lengths must satisfy 1 <= MIN <= MAX <= 40, got {text!r}")
    return low, high


def _fonts(fonts_dir: Optional[Path], system: bool):
    """The bundled fonts, plus the system's and those in ``fonts_dir`` when asked."""
    from synth import fonts as font_lib

    found = font_lib.discover(system=system, dirs=[fonts_dir] if fonts_dir else ())
    if not found:
        raise InputError("no usable fonts found")
    return found


@command()
def synth(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write PNGs, labels.csv and boxes.jsonl.")],
    n: Annotated[int, typer.Option("--n", min=1, help="Number of strips.")] = 100,
    style: Annotated[
        str, typer.Option(help="plain, noisy, captcha, plate, field, classic, touching, nodigit (images "
                          "with no digits), or mixed (any style with digits).")
    ] = "mixed",
    length: Annotated[str, typer.Option(help="Digits per strip: N or MIN-MAX.")] = "4-8",
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same images.")] = 0,
    height: Annotated[Optional[int], typer.Option(min=8, max=400, help="Digit height in pixels.")] = None,
    fonts: Annotated[Optional[Path], typer.Option("--fonts", help="Also use the fonts in this folder.")] = None,
    system_fonts: Annotated[bool, typer.Option("--system-fonts", help="Also use the system's fonts.")] = False,
    held_out_only: Annotated[
        bool, typer.Option("--held-out", help="Only the font families held out of the shipped model's training.")
    ] = False,
    preview: Annotated[Optional[Path], typer.Option(help="Also write a contact sheet PNG of the first strips.")] = None,
) -> None:
    """Render labelled digit strips: OUT/000000.png ..., labels.csv (file,text), boxes.jsonl."""
    from synth import dataset, styles
    from synth import fonts as font_lib

    if style != "mixed" and style not in styles.STYLES:
        raise typer.BadParameter(f"unknown style {style!r}; choose from {', '.join(styles.STYLES)}, mixed")
    lengths = _parse_length(length)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder; give a new or existing folder for the strips")
    found = _fonts(fonts, system_fonts)
    if held_out_only:
        found = font_lib.split_held_out(found)[1]
    with _progress(n, "rendering") as advance:
        dataset.write_dataset(out, n=n, style=style, seed=seed, fonts=found, length=lengths,
                              height=height, progress=advance)
    if preview is not None:
        from PIL import Image

        samples = list(dataset.iter_samples(min(n, 24), style=style, seed=seed, fonts=found,
                                            length=lengths, height=height))
        sheet = dataset.contact_sheet([s.image for s in samples], labels=[s.text for s in samples])
        Image.fromarray(sheet).save(preview)
    _err(f"wrote {n} strips to {out}")


@command("fonts")
def list_fonts(
    fonts: Annotated[Optional[Path], typer.Option("--fonts", help="Also list the fonts in this folder.")] = None,
    system_fonts: Annotated[bool, typer.Option("--system-fonts", help="Also list the system's fonts.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """List the fonts the generator can use, their family, source and file."""
    from synth import fonts as font_lib

    found = _fonts(fonts, system_fonts)
    held = set(font_lib.HELD_OUT_FAMILIES)
    if as_json:
        for f in found:
            typer.echo(json.dumps({"name": f.name, "family": f.family, "source": f.source,
                                   "path": f.path, "held_out": f.family in held}))
        return
    for f in found:
        where = f.path if f.path else f"cv2 Hershey face {f.hershey}"
        mark = " (held out)" if f.family in held else ""
        typer.echo(f"{f.family:<20} {f.name:<34} {f.source:<10} {where}{mark}")
    _err(f"{len(found)} fonts, {len({f.family for f in found})} families")


# --- train -----------------------------------------------------------------------------


@command()
def train(
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the model (.npz).")],
    source: Annotated[
        str, typer.Option(help="Training data: synth (rendered glyphs), handwriting (procedural handwriting-like "
                               "digits), digits (scikit-learn's handwritten 8x8 digits), or mnist:DIR (MNIST IDX files).")
    ] = "synth",
    mnist: Annotated[Optional[Path], typer.Option(help="Same as --source mnist:DIR.")] = None,
    size: Annotated[int, typer.Option(help="Glyph size: 28 (MNIST style) or 8 (scikit-learn digits style).")] = 28,
    seed: Annotated[int, typer.Option(help="Seed for data, split and weights: the same seed gives the same model.")] = 0,
    strips: Annotated[int, typer.Option(min=0, help="synth: strips to cut into glyphs.")] = 10000,
    singles: Annotated[int, typer.Option(min=0, help="synth: heavily augmented single glyphs; handwriting: the digits.")] = 24000,
    rejects: Annotated[int, typer.Option(min=0, help="synth: 'not a digit' samples (letters, fragments, pairs, noise).")] = 6000,
    hidden: Annotated[str, typer.Option(help="Hidden layer widths, e.g. 256,128 or 32.")] = "256,128",
    activation: Annotated[str, typer.Option(help="Hidden activation: relu or sigmoid.")] = "relu",
    optimizer: Annotated[str, typer.Option(help="adam, or sgd (with momentum).")] = "adam",
    lr: Annotated[float, typer.Option(min=0.0, help="Peak learning rate.")] = 2e-3,
    schedule: Annotated[str, typer.Option(help="Learning-rate decay: cosine, step or constant.")] = "cosine",
    l2: Annotated[float, typer.Option(min=0.0, help="L2 penalty on the weights.")] = 1e-5,
    epochs: Annotated[
        Optional[int], typer.Option(min=1, help="Passes over the data (default: 20; 200 for --source digits).")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Samples per mini-batch.")] = 128,
    keep: Annotated[
        str, typer.Option(help="Weights to keep: last (end of the schedule) or best (best validation epoch, "
                               "with early stopping after --patience stale epochs).")
    ] = "last",
    patience: Annotated[int, typer.Option(min=1, help="With --keep best: epochs without a better validation accuracy before stopping.")] = 8,
    fonts: Annotated[Optional[Path], typer.Option("--fonts", help="synth: also train on the fonts in this folder.")] = None,
    system_fonts: Annotated[bool, typer.Option("--system-fonts", help="synth: also train on the system's fonts.")] = False,
    include_held_out: Annotated[
        bool, typer.Option("--include-held-out", help="synth: train on the held-out font families too.")
    ] = False,
    jobs: Annotated[int, typer.Option(min=0, help="Processes for data generation (0 = all cores).")] = 0,
    plot: Annotated[Optional[Path], typer.Option(help="Write learning curves to this PNG.")] = None,
) -> None:
    """Train a digit network and write it to OUT.

    --source synth (the default) trains on synthetic glyphs cut by the reader's own segmentation, with a "not a digit" class; the held-out font families stay out unless --include-held-out.

    --source handwriting trains on --singles procedural pen-stroke digits, elastically warped; --source digits on scikit-learn's handwritten digits (--size 8 only), keeping 25% out for a held-out check; --source mnist:DIR on MNIST IDX files (train-images-idx3-ubyte and train-labels-idx1-ubyte, raw or .gz), checked on the t10k files if DIR has them. These give ten classes and no "not a digit" class.

    Example, the classic 64-32-10 network: ocr train --source digits --size 8 --hidden 32 --out m.npz
    """
    from ocr.train import (TrainConfig, build_digits_model, build_handwriting_model, build_mnist_model, build_model,
                           plot_history)

    if size not in (8, 28):
        raise typer.BadParameter("--size must be 28 or 8")
    if mnist is not None:
        if source != "synth":
            raise typer.BadParameter("give either --mnist DIR or --source, not both")
        source = f"mnist:{mnist}"
    kind, _, where = source.partition(":")
    if kind not in ("synth", "handwriting", "digits", "mnist") or (kind == "mnist") != bool(where):
        raise typer.BadParameter(f"--source takes synth, handwriting, digits or mnist:DIR, got {source!r}")
    if kind == "digits" and size != 8:
        raise typer.BadParameter("--source digits holds 8x8 digits: use --size 8")
    widths = _positive_ints(hidden, "--hidden takes comma-separated positive widths such as 256,128")
    for name, value, allowed in (("--activation", activation, ("relu", "sigmoid")),
                                 ("--optimizer", optimizer, ("adam", "sgd")),
                                 ("--schedule", schedule, ("cosine", "step", "constant")),
                                 ("--keep", keep, ("last", "best"))):
        if value not in allowed:
            raise typer.BadParameter(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    epochs = epochs or (200 if kind == "digits" else 20)
    config = TrainConfig(hidden=widths, activation=activation, optimizer=optimizer, lr=lr, schedule=schedule,
                         l2=l2, epochs=epochs, batch_size=batch_size, patience=patience, keep=keep, seed=seed)

    with _Bars() as bars:
        rendered = None  # digits and mnist: nothing to render
        if kind in ("synth", "handwriting"):
            rendered = bars.task("rendering glyphs", strips + singles + rejects if kind == "synth" else singles)
        trained = bars.task("training", epochs)

        def show(stats) -> None:
            line = (f"epoch {stats.epoch:3d}  lr {stats.lr:.2e}  loss {stats.loss:.4f}  "
                    f"train {stats.train_acc:.2%}  val loss {stats.val_loss:.4f}  val {stats.val_acc:.2%}")
            if bars.live:
                trained(1, note=line[10:])
            else:
                _err(line)

        if kind == "synth":
            model, history = build_model(
                size=size, config=config, fonts=_fonts(fonts, system_fonts), n_strips=strips, n_singles=singles,
                n_rejects=rejects, include_held_out=include_held_out, jobs=jobs, on_epoch=show,
                log=_err, progress=rendered,
            )
        elif kind == "handwriting":
            model, history = build_handwriting_model(size=size, config=config, n=singles, jobs=jobs, on_epoch=show,
                                                     log=_err, progress=rendered)
        elif kind == "digits":
            model, history = build_digits_model(config=config, on_epoch=show, log=_err)
        else:
            model, history = build_mnist_model(Path(where), size=size, config=config, on_epoch=show, log=_err)
    from ocr import model as model_io

    model_io.save(out, model)
    best = model.meta["validation"]
    _err(f"saved {out}  (val acc {best['accuracy']:.2%} at epoch {best['epoch']} of {best['epochs_run']}, kept: {keep})")
    if plot is not None:
        plot_history(history, plot)


@command("train-sequence")
def train_sequence(
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the sequence model (.npz).")],
    seed: Annotated[int, typer.Option(help="Seed for strips, batches and weights: the same seed gives the same model.")] = 0,
    strips: Annotated[int, typer.Option(min=1, help="Synthetic strips to train on.")] = 120000,
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the strips.")] = 5,
    batch_size: Annotated[int, typer.Option(min=1, help="Strips per mini-batch.")] = 32,
    lr: Annotated[float, typer.Option(min=0.0, help="Peak learning rate (Adam, cosine decay).")] = 2e-3,
    channels: Annotated[str, typer.Option(help="Channels of the three convolution layers, comma separated.")] = "32,64,96",
    hidden: Annotated[int, typer.Option(min=1, help="Units of each temporal layer.")] = 256,
    layers: Annotated[int, typer.Option(min=1, max=2, help="Temporal layers after the convolutions (2 sees wider).")] = 2,
    fonts: Annotated[Optional[Path], typer.Option("--fonts", help="Also train on the fonts in this folder.")] = None,
    system_fonts: Annotated[bool, typer.Option("--system-fonts", help="Also train on the system's fonts.")] = False,
    jobs: Annotated[int, typer.Option(min=0, help="Processes for rendering the strips (0 = all cores).")] = 0,
    init: Annotated[Optional[Path], typer.Option("--init", help="Train on from this sequence model's weights (a fine-tune: fewer --strips, one epoch, a lower --lr); its sizes replace --channels, --hidden and --layers.")] = None,
    long_flag: Annotated[bool, typer.Option("--long-flag/--no-long-flag", help="Also draw every font whose 1 has a flag with that flag longer (and the 1 footless), as Roboto and Helvetica draw it.")] = False,
    fitted: Annotated[float, typer.Option(min=0.0, max=1.0, help="Share of the strips drawn as captchas laid out at their natural width with word gaps, then squeezed into a canvas of fixed size (tall, narrow glyphs); the other styles keep their proportions.")] = 0.0,
) -> None:
    """Train the sequence network (whole-strip reading, CTC) and write it to OUT.

    It reads captchas and touching digits without cutting them into glyphs; 'ocr read' asks it about tangled or doubtful strips (--engine auto). It trains on rendered strips, about half of them captchas, with no-digit images among them; the held-out font families stay out.

    The shipped models/sequence.npz is 'ocr train-sequence --seed 0 --out models/sequence.npz' (about 1 h 10 min on two cores), then 'ocr train-sequence --init models/sequence.npz --long-flag --strips 40000 --epochs 1 --lr 5e-4 --seed 1000 --out models/sequence.npz' (about 10 min): see 'make model'.
    """
    from ocr import sequence
    from ocr.finetune import file_digest
    from ocr.seqtrain import SeqConfig, build_sequence_model
    from synth import fonts as font_lib

    start = sequence.load(init) if init is not None else None
    sizes = dict(hidden=hidden, layers=layers, channels=_channels(channels))
    if start is not None:
        sizes = {k: tuple(v) if k == "channels" else v for k, v in start.meta.get("config", {}).items() if k in sizes}
    config = SeqConfig(strips=strips, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, long_flag=long_flag,
                       fitted=fitted, **sizes)
    train_fonts, _ = font_lib.split_held_out(_fonts(fonts, system_fonts))
    with _Bars() as bars:
        rendered = bars.task("rendering strips", strips)
        trained = bars.task("training", epochs)

        def show(epoch: int, loss: float) -> None:
            line = f"epoch {epoch:3d}  CTC loss {loss:.4f}"
            if bars.live:
                trained(1, note=line[10:])
            else:
                _err(line)

        net = build_sequence_model(config=config, fonts=train_fonts, jobs=jobs, log=_err, progress=rendered,
                                   on_epoch=show, start=start)
    if init is not None:
        net.meta["parent"].update(file=init.name, sha256=file_digest(init))
    sequence.save(out, net)
    _err(f"saved {out}  (final CTC loss {net.meta['losses'][-1]:.4f})")


def _positive_ints(text: str, usage: str) -> tuple[int, ...]:
    """Comma-separated positive integers ("256,128"), or a BadParameter saying `usage`."""
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        values = ()
    if not values or min(values) < 1:
        raise typer.BadParameter(f"{usage}, got {text!r}")
    return values


def _channels(text: str) -> tuple[int, int, int]:
    usage = "--channels takes three positive integers such as 16,32,48"
    values = _positive_ints(text, usage)
    if len(values) != 3 or len(text.split(",")) != 3:
        raise typer.BadParameter(f"{usage}, got {text!r}")
    return values  # type: ignore[return-value]


def _parse_focus(text: str) -> Optional[tuple[int, ...]]:
    if text == "auto":
        return None
    try:
        digits = tuple(sorted({int(d) for d in text.split(",") if d.strip()}))
    except ValueError:
        raise typer.BadParameter(f"--focus takes 'auto' or digits such as 3,8, got {text!r}") from None
    if not digits or not all(0 <= d <= 9 for d in digits):
        raise typer.BadParameter(f"--focus takes 'auto' or digits 0-9 such as 3,8, got {text!r}")
    return digits


@command()
def finetune(
    model: Annotated[Path, typer.Option("--model", "-m", help="The model to start from (left unchanged).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the fine-tuned model (.npz).")],
    focus: Annotated[
        str, typer.Option(help="Digits to drill, e.g. 3,8; or auto: the most confused pairs in the eval.")
    ] = "auto",
    data: Annotated[
        Optional[Path], typer.Option(help="Labelled folder (images + labels.csv) to find and check confusions on. "
                                          "Default: --eval-n fresh synthetic strips of --style (classic: the 100x24 captcha itself).")
    ] = None,
    n_synth: Annotated[int, typer.Option("--synth", min=1, help="Targeted strips to render.")] = 1500,
    singles: Annotated[int, typer.Option(min=0, help="Augmented single glyphs of the focus digits.")] = 1500,
    style: Annotated[
        str, typer.Option(help="Style of the targeted strips: plain, noisy, captcha, plate, field, touching, classic or mixed.")
    ] = "mixed",
    fonts: Annotated[
        Optional[Path], typer.Option("--fonts", help="Render the targeted samples in the fonts of this folder only.")
    ] = None,
    system_fonts: Annotated[bool, typer.Option("--system-fonts", help="Render them in the system's fonts.")] = False,
    mnist: Annotated[
        Optional[Path], typer.Option(help="MNIST folder, for a model trained on MNIST whose folder moved.")
    ] = None,
    n_eval: Annotated[int, typer.Option("--eval-n", min=1, help="Strips in the synthetic eval set (without --data).")] = 300,
    pairs: Annotated[int, typer.Option(min=1, help="With --focus auto: how many confused pairs to drill.")] = 3,
    replay: Annotated[float, typer.Option(min=0.0, help="Rows of original data replayed per targeted row.")] = 3.0,
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the targeted and replayed rows.")] = 12,
    lr: Annotated[float, typer.Option(min=0.0, help="Peak learning rate (cosine decay, no warm-up).")] = 2e-3,
    seed: Annotated[int, typer.Option(help="Seed for samples, replay and shuffling.")] = 0,
    length: Length = None,
    jobs: Annotated[int, typer.Option(min=0, help="Processes for rendering (0 = all cores).")] = 0,
    as_json: JsonFlag = False,
) -> None:
    """Fix a model's confusions by fine-tuning on targeted synthetic samples, without forgetting the rest.

    Reads --data (or fresh synthetic strips) with the model, picks the most confused digit pairs (or --focus), renders samples of those digits in --fonts and --style, and continues training with a replay of the model's original data.

    Prints the exact rate, confusion matrix and per-class accuracy before and after, and the accuracy on held-out original data (what was kept). The fine-tune is recorded in OUT's metadata.

    Example: ocr finetune -m models/digits8.npz --focus 3,8 --style classic -o fixed.npz
    """
    from ocr import model as model_io
    from ocr.finetune import FinetuneConfig, fix_confusions
    from synth import fonts as font_lib
    from synth.glyphs import TRAIN_STYLES

    chosen = _parse_focus(focus)
    if style not in (*TRAIN_STYLES, "classic", "mixed"):
        raise typer.BadParameter(f"--style must be one of {', '.join(TRAIN_STYLES[:-1])}, classic, mixed; "
                                 f"got {style!r}")
    if fonts is not None:
        found = font_lib.fonts_in(fonts)
    elif system_fonts:
        found = font_lib.system_fonts()
        if not found:
            raise InputError("no usable system fonts found")
    else:
        found = font_lib.split_held_out(font_lib.bundled_fonts())[0]
    config = FinetuneConfig(style=style, n_strips=n_synth, n_singles=singles, replay=replay, epochs=epochs,
                            lr=lr, seed=seed)

    def show(stats) -> None:
        _err(f"epoch {stats.epoch:3d}  lr {stats.lr:.2e}  loss {stats.loss:.4f}  train {stats.train_acc:.2%}  "
             f"val {stats.val_acc:.2%}")

    outcome = fix_confusions(model, fonts=found, config=config, focus=chosen, data=data, n_eval=n_eval,
                             max_pairs=pairs, mnist=mnist, length=length, jobs=jobs, log=_err, on_epoch=show)
    model_io.save(out, outcome.model)
    _err(f"saved {out} in {outcome.seconds:.0f} s")
    _print_finetune(outcome, as_json=as_json)


def _print_finetune(outcome, *, as_json: bool) -> None:
    from ocr.finetune import per_class_accuracy
    from ocr.metrics import format_confusion

    b, a = outcome.before.score, outcome.after.score
    per_b, per_a = per_class_accuracy(b.confusion), per_class_accuracy(a.confusion)
    if as_json:
        def nan_free(values):
            return [None if v != v else float(v) for v in values]

        typer.echo(json.dumps({
            "focus": list(outcome.focus), "pairs": [list(p) for p in outcome.pairs],
            "before": {**b.to_dict(), "per_class": nan_free(per_b)},
            "after": {**a.to_dict(), "per_class": nan_free(per_a)},
            "kept": {"before": outcome.kept[0], "after": outcome.kept[1]}, "seconds": outcome.seconds,
        }))
        return
    typer.echo(f"focus       {','.join(map(str, outcome.focus))}"
               + (f"   (pairs: {', '.join(f'{x}↔{y} {n}×' for x, y, n in outcome.pairs)})" if outcome.pairs else ""))
    typer.echo(f"exact       {b.exact:.2%} → {a.exact:.2%}   ({b.n} strips)")
    typer.echo(f"char acc    {b.char_acc:.2%} → {a.char_acc:.2%}")
    typer.echo(f"kept        {outcome.kept[0]:.2%} → {outcome.kept[1]:.2%}   (held-out rows of the original data)")
    typer.echo("per class   " + "  ".join(f"{d}" .rjust(6) for d in range(10)))
    for label, values in (("before", per_b), ("after", per_a)):
        typer.echo(f"{label:<12}" + "  ".join(("  -   " if v != v else f"{v:6.1%}") for v in values))
    typer.echo("confusion before (rows: truth, columns: read; ? refused, - missed)")
    typer.echo(format_confusion(b.confusion))
    typer.echo("confusion after")
    typer.echo(format_confusion(a.confusion))


@command()
def demo(
    n: Annotated[int, typer.Option("--n", min=1, help="Strips to synthesize.")] = 36,
    out: Annotated[
        Optional[Path], typer.Option("--out", "-o", help="Folder for the strips (default: a temporary folder).")
    ] = None,
    model: ModelPath = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 2026,
) -> None:
    """Synthesize N mixed strips in held-out fonts, read them back, and print truth vs reading.

    Also writes one debug overlay PNG (the first misread, or the first strip) and says where.
    """
    import tempfile

    from PIL import Image

    from ocr.evaluate import read_labels
    from ocr.metrics import score
    from ocr.overlay import debug_overlay
    from ocr.reader import Reader
    from synth import dataset
    from synth import fonts as font_lib

    folder = out or Path(tempfile.mkdtemp(prefix="ocr-demo-"))
    held_out = font_lib.split_held_out(font_lib.bundled_fonts())[1]
    dataset.write_dataset(folder, n=n, style="mixed", seed=seed, fonts=held_out, length=(4, 8))
    reader = Reader(model)
    rows = read_labels(folder)
    traces = [reader.trace(folder / name) for name, _ in rows]
    typer.echo(f"{'file':<12} {'truth':<10} {'read':<10} conf")
    for (name, truth), trace in zip(rows, traces):
        mark = "" if trace.reading.text == truth else "   ✗"
        typer.echo(f"{name:<12} {truth:<10} {trace.reading.text:<10} {trace.reading.confidence:.3f}{mark}")
    s = score([t for _, t in rows], [tr.reading.text for tr in traces])
    typer.echo(f"\n{s.n} strips in held-out fonts ({', '.join(font_lib.HELD_OUT_FAMILIES)}): "
               f"exact {s.exact:.1%}, char acc {s.char_acc:.1%}")
    shown = s.misreads[0][0] if s.misreads else 0
    overlay_path = folder / f"{Path(rows[shown][0]).stem}.debug.png"
    picture = debug_overlay(traces[shown], classes=reader.model.classes, input_size=reader.model.input_size)
    Image.fromarray(picture).save(overlay_path)
    typer.echo(f"strips in {folder}; debug overlay: {overlay_path}")


# typer's usage errors (bad option, missing argument) derive from click's ClickException,
# which typer vendors in recent versions; reach it through a public class rather than a
# private module.
_ClickException = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def main() -> None:
    """Console entry point: usage errors become one ``error:`` line and exit code 2."""
    try:
        code = app(standalone_mode=False)
    except _ClickException as e:
        where = getattr(getattr(e, "ctx", None), "command_path", None) or "ocr"
        message = " ".join(e.format_message().split())
        _err(f"error: {message} (see '{where} --help')")
        sys.exit(e.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        _err("interrupted")
        sys.exit(int(ExitCode.interrupted))
    sys.exit(code if isinstance(code, int) else 0)
