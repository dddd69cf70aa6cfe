"""`ocr batch` at scale: files/s against Tesseract, peak memory, interrupt + resume, broken files.

Run by hand (not part of the tests); it takes a few minutes and about 1 GB of temporary disk:

    .venv/bin/python benchmarks/batch_speed.py [--n 20000] [--n-tesseract 500] \\
        [--n-small 100000] [--n-small-check 20000] [--keep]

Every `ocr batch` run is a whole subprocess, timed from start to exit, as a user would run it.
At the end it prints one table:

1. speed — `ocr batch DIR --out X.csv --quiet` with ``--jobs 1`` and ``--jobs 2`` over N synthetic
   plain strips, and the `tesseract IMG stdout --psm 7` CLI with a digit whitelist, one process
   per file as scripts call it, on the first few hundred of them; files/s and exact-match
   accuracy against ``labels.csv`` for each, and the ratio ours (2 jobs) / Tesseract.
   Target: at least 2,000 strips/s with 2 jobs.
2. memory — the peak resident memory of the whole process tree (parent and every worker,
   summed, sampled every ~50 ms from ``/proc/<pid>/status``) of ``ocr batch --jobs 2`` over
   100,000 small 100×24 files and over 20,000 of them: it should not grow with the number of
   files. Target: under 500 MB.
3. interrupt + resume — on the N strips, ``ocr batch --jobs 2`` is stopped when about half of
   the rows are written, once with SIGINT (expected exit 130) and once with SIGKILL of the
   parent (orphaned workers are then killed too), and finished with ``--resume``. The final
   CSV must parse, hold every file exactly once, and match an uninterrupted run file by file.
4. broken files — a folder mixing good images with a zero-byte file, a truncated PNG, a text
   file named .png, a directory named x.png and unreadable symbolic links: every entry should
   get a row (status 'error' with a reason for the broken ones) and stderr no traceback.

Generated data lives in a temporary folder, removed at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TESSERACT = ["tesseract", "{image}", "stdout", "--psm", "7", "-c", "tessedit_char_whitelist=0123456789"]


# --- making the data -------------------------------------------------------------------------


def _write_strips(job: tuple[str, int, int, int, int]) -> list[tuple[str, str]]:
    """Worker: render plain strips ``start … start + count - 1`` of an ``n``-strip run."""
    import cv2

    from synth import dataset
    from synth.fonts import bundled_fonts

    folder, n, start, count, seed = job
    labels = []
    samples = dataset.iter_samples(count, style="plain", seed=seed, fonts=bundled_fonts(), start=start)
    for i, sample in enumerate(samples, start=start):
        name = dataset.file_name(i, n)
        image = sample.image if sample.image.ndim == 2 else cv2.cvtColor(sample.image, cv2.COLOR_RGB2BGR)
        cv2.imwrite(os.path.join(folder, name), image)
        labels.append((name, sample.text))
    return labels


def make_strips(folder: Path, n: int, *, seed: int, jobs: int) -> dict[str, str]:
    """Write `n` plain strips and their ``labels.csv`` into `folder`; return {file name: text}.

    Sample i depends on (seed, i) alone, so splitting the index range over processes gives
    the same images as ``ocr synth --n N --style plain --seed S``.
    """
    folder.mkdir(parents=True)
    step = -(-n // (4 * jobs))
    ranges = [(str(folder), n, start, min(step, n - start), seed) for start in range(0, n, step)]
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        labels = [pair for part in pool.map(_write_strips, ranges) for pair in part]
    with open(folder / "labels.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "text"])
        writer.writerows(labels)
    return dict(labels)


def make_small_files(folder: Path, n: int, *, seed: int, n_distinct: int = 500) -> dict[str, str]:
    """Write `n` classic 100×24 captchas (`n_distinct` different ones, repeated) into `folder`."""
    import cv2
    import numpy as np

    from synth.render import render_classic

    rng = np.random.default_rng(seed)
    texts = ["".join(map(str, rng.integers(0, 10, 5))) for _ in range(n_distinct)]
    encoded = [cv2.imencode(".png", render_classic(text)[0])[1].tobytes() for text in texts]
    folder.mkdir(parents=True)
    labels = {}
    for i in range(n):
        name = f"{i:06d}.png"
        (folder / name).write_bytes(encoded[i % n_distinct])
        labels[name] = texts[i % n_distinct]
    return labels


def make_broken_folder(folder: Path, good: list[Path], *, loop: bool) -> None:
    """Good images beside every kind of unreadable entry (a symlink loop only when `loop`)."""
    folder.mkdir(parents=True)
    for path in good:
        shutil.copy(path, folder / path.name)
    (folder / "zero.png").write_bytes(b"")
    (folder / "truncated.png").write_bytes(good[0].read_bytes()[:200])
    (folder / "text.png").write_text("this is not an image\n")
    (folder / "x.png").mkdir()
    os.symlink("/nonexistent/target.png", folder / "dangling.png")
    if loop:
        os.symlink("loop.png", folder / "loop.png")


# --- running and watching processes ----------------------------------------------------------


def _env() -> dict[str, str]:
    # Bytecode caching on, as on a normal install (some sandboxes switch it off).
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _parents() -> dict[int, int]:
    """{pid: parent pid} for every process, from /proc/<pid>/stat."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            parents[int(entry)] = int(stat[stat.rindex(b")") + 2:].split()[1])
    return parents


def tree_pids(root: int) -> list[int]:
    """`root` and all of its descendants."""
    children: dict[int, list[int]] = {}
    for pid, parent in _parents().items():
        children.setdefault(parent, []).append(pid)
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(children.get(pid, []))
    return pids


def rss_kb(pid: int) -> int:
    """Resident memory of one process in kB (0 once it is gone or a zombie)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def is_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(b")") + 2:][:1] not in (b"Z", b"X")


def run_watched(cmd: list[str], *, poll: float, env: dict[str, str] | None = None) -> dict:
    """Run `cmd`; return exit code, wall seconds, the tree's peak summed RSS (MB) and peak process count."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=stderr, env=env or _env())
        peak_kb = n_procs = 0
        while proc.poll() is None:
            pids = tree_pids(proc.pid)
            peak_kb = max(peak_kb, sum(rss_kb(pid) for pid in pids))
            n_procs = max(n_procs, len(pids))
            time.sleep(poll)
        seconds = time.perf_counter() - start
        stderr.seek(0)
        err = stderr.read().decode(errors="replace")
    return {"rc": proc.returncode, "seconds": seconds, "peak_mb": peak_kb / 1024, "n_procs": n_procs,
            "stderr": err}


def run_timed(cmd: list[str], *, env: dict[str, str] | None = None) -> tuple[int, float, str]:
    """Run `cmd` to the end; return (exit code, wall seconds, stderr)."""
    start = time.perf_counter()
    result = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env or _env())
    return result.returncode, time.perf_counter() - start, result.stderr


# --- reading the outputs ---------------------------------------------------------------------


def read_rows(path: Path) -> tuple[list[dict], str]:
    """The rows of a batch CSV, and "" if it is well formed, else what is wrong with it."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except (csv.Error, UnicodeDecodeError) as e:
        return [], f"{type(e).__name__}: {e}"
    for n, row in enumerate(rows, start=2):
        if None in row or None in row.values():
            return rows, f"line {n}: wrong number of fields"
        if row["status"] not in ("ok", "empty", "error"):
            return rows, f"line {n}: status {row['status']!r}"
        try:
            float(row["confidence"])
        except ValueError:
            return rows, f"line {n}: confidence {row['confidence']!r}"
    return rows, ""


def exact_match(rows: list[dict], labels: dict[str, str]) -> float:
    """Share of `labels` whose row's text equals the label exactly (a missing row counts as wrong)."""
    texts = {os.path.basename(row["file"]): row["text"] for row in rows}
    return sum(texts.get(name) == text for name, text in labels.items()) / len(labels)


def count_data_lines(path: Path) -> int:
    """Complete rows in a CSV being written (newlines after the header's)."""
    try:
        return max(path.read_bytes().count(b"\n") - 1, 0)
    except OSError:
        return 0


def compare(rows: list[dict], reference: dict[str, tuple[str, str]]) -> dict[str, int]:
    """Duplicates, missing, unexpected and differing files of `rows` against a reference run."""
    counts = Counter(row["file"] for row in rows)
    mismatches = sum(1 for row in rows if row["file"] in reference
                     and (row["text"], row["status"]) != reference[row["file"]])
    return {"duplicates": sum(c - 1 for c in counts.values() if c > 1),
            "missing": len(set(reference) - set(counts)),
            "unexpected": len(set(counts) - set(reference)),
            "mismatches": mismatches}


# --- the four measurements -------------------------------------------------------------------


def tesseract_read(path: Path) -> str:
    cmd = [str(path) if part == "{image}" else part for part in TESSERACT]
    result = subprocess.run(cmd, capture_output=True, text=True)
    return "".join(ch for ch in result.stdout if ch.isdigit())


def measure_speed(table: list, ocr: list[str], folder: Path, labels: dict[str, str], work: Path,
                  n_tesseract: int) -> dict[str, tuple[str, str]]:
    """Section 1; returns the jobs-2 rows as {file: (text, status)}, the reference for section 3."""
    n = len(labels)
    outputs = {}
    runs = [("jobs 1", 1, None), ("jobs 2", 2, None)]
    # The same run with one BLAS thread per process, to show what thread oversubscription costs.
    one_thread = {**_env(), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    runs.append(("jobs 2, OMP/OPENBLAS_NUM_THREADS=1", 2, one_thread))
    speeds = {}
    for label, jobs, env in runs:
        out = work / f"speed-{jobs}-{len(outputs)}.csv"
        rc, seconds, err = run_timed([*ocr, "batch", str(folder), "--out", str(out), "--quiet",
                                      "--jobs", str(jobs)], env=env)
        rows, problem = read_rows(out)
        speeds[label] = n / seconds
        outputs[label] = rows
        table.append(("1 speed", f"ocr batch {label}: files/s",
                      f"{n / seconds:,.0f}  ({n:,} files in {seconds:.1f} s, exit {rc})"))
        table.append(("1 speed", f"ocr batch {label}: exact match",
                      f"{exact_match(rows, labels):.2%}  ({len(rows):,} rows{', ' + problem if problem else ''})"))
        if "Traceback" in err:
            table.append(("1 speed", f"ocr batch {label}: stderr", "TRACEBACK: " + err.strip().splitlines()[-1]))

    subset = dict(list(labels.items())[:n_tesseract])
    if shutil.which("tesseract"):
        start = time.perf_counter()
        texts = {name: tesseract_read(folder / name) for name in subset}
        seconds = time.perf_counter() - start
        tess_speed = len(subset) / seconds
        tess_acc = sum(texts[name] == text for name, text in subset.items()) / len(subset)
        ours_subset = exact_match(outputs["jobs 2"], subset)
        table.append(("1 speed", "tesseract --psm 7, 1 process/file: files/s",
                      f"{tess_speed:,.1f}  ({len(subset):,} files in {seconds:.1f} s)"))
        table.append(("1 speed", "tesseract: exact match (same subset)",
                      f"{tess_acc:.2%}  (ocr batch jobs 2 on it: {ours_subset:.2%})"))
        table.append(("1 speed", "ratio ours (jobs 2) / tesseract", f"{speeds['jobs 2'] / tess_speed:,.0f}×"))
    else:
        table.append(("1 speed", "tesseract", "not installed: skipped"))
    met = "MET" if speeds["jobs 2"] >= 2000 else "NOT MET"
    table.append(("1 speed", "target >= 2,000 strips/s with 2 jobs", f"{met} ({speeds['jobs 2']:,.0f} strips/s)"))

    same = {r["file"]: r["text"] for r in outputs["jobs 1"]} == {r["file"]: r["text"] for r in outputs["jobs 2"]}
    table.append(("1 speed", "jobs 1 and jobs 2 give the same text per file", "yes" if same else "NO"))
    return {row["file"]: (row["text"], row["status"]) for row in outputs["jobs 2"]}


def measure_memory(table: list, ocr: list[str], folders: list[tuple[Path, dict[str, str]]],
                   poll: float) -> None:
    """Section 2: peak RSS of the whole `ocr batch --jobs 2` tree for each folder."""
    peaks = []
    for folder, labels in folders:
        out = folder.with_suffix(".csv")
        result = run_watched([*ocr, "batch", str(folder), "--out", str(out), "--quiet", "--jobs", "2"], poll=poll)
        rows, problem = read_rows(out)
        peaks.append(result["peak_mb"])
        n = len(labels)
        table.append(("2 memory", f"{n:,} small files: peak RSS of tree",
                      f"{result['peak_mb']:,.0f} MB  (max {result['n_procs']} processes, exit {result['rc']}, "
                      f"{n / result['seconds']:,.0f} files/s)"))
        table.append(("2 memory", f"{n:,} small files: rows, exact match",
                      f"{len(rows):,}, {exact_match(rows, labels):.2%}{'  ' + problem if problem else ''}"))
    growth = peaks[0] - peaks[-1]
    table.append(("2 memory", "peak growth, largest vs smallest run", f"{growth:+,.0f} MB"))
    verdict = "MET" if max(peaks) < 500 else "NOT MET"
    table.append(("2 memory", "target < 500 MB", f"{verdict} (max {max(peaks):,.0f} MB)"))


def interrupt_and_resume(table: list, ocr: list[str], folder: Path, reference: dict[str, tuple[str, str]],
                         work: Path, sig: signal.Signals) -> None:
    """Section 3: stop `ocr batch --jobs 2` at about half the rows with `sig`, then --resume."""
    name = sig.name
    out = work / f"resume-{name}.csv"
    cmd = [*ocr, "batch", str(folder), "--out", str(out), "--quiet", "--jobs", "2"]
    half = len(reference) // 2
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=stderr, env=_env())
        while proc.poll() is None and count_data_lines(out) < half:
            time.sleep(0.005)
        pids = tree_pids(proc.pid)
        os.kill(proc.pid, sig)
        rc = proc.wait()
        stderr.seek(0)
        err = stderr.read().decode(errors="replace")
    deadline = time.perf_counter() + 5  # give the workers time to notice their parent is gone
    while time.perf_counter() < deadline and any(is_alive(pid) for pid in pids[1:]):
        time.sleep(0.05)
    orphans = [pid for pid in pids[1:] if is_alive(pid)]
    for pid in orphans:
        os.kill(pid, signal.SIGKILL)
    data = out.read_bytes()
    at_stop = max(data.count(b"\n") - 1, 0)
    partial = "" if data.endswith(b"\n") else ", last row cut off"
    table.append((f"3 {name}", "rows at interruption, exit code",
                  f"{at_stop:,} rows{partial}; exit {rc} (expected {130 if sig == signal.SIGINT else -9})"))
    table.append((f"3 {name}", "workers still alive 5 s after the parent exited",
                  f"{len(orphans)} of {len(pids) - 1}{' (killed)' if orphans else ''}"))
    if "Traceback" in err:
        table.append((f"3 {name}", "stderr at interruption", "TRACEBACK: " + err.strip().splitlines()[-1]))

    rc, seconds, err = run_timed([*cmd, "--resume"])
    rows, problem = read_rows(out)
    diff = compare(rows, reference)
    table.append((f"3 {name}", "--resume: exit code, rows in final CSV",
                  f"exit {rc}, {len(rows):,} rows ({len(rows) - at_stop:,} added in {seconds:.1f} s)"))
    table.append((f"3 {name}", "CSV parses", "yes" if not problem else f"NO: {problem}"))
    table.append((f"3 {name}", "duplicates / missing / unexpected / mismatches",
                  f"{diff['duplicates']} / {diff['missing']} / {diff['unexpected']} / {diff['mismatches']}"))
    if "Traceback" in err:
        table.append((f"3 {name}", "--resume stderr", "TRACEBACK: " + err.strip().splitlines()[-1]))


def broken_files(table: list, ocr: list[str], work: Path, good: list[Path]) -> None:
    """Section 4: a folder of good and broken entries, with and without a symbolic-link loop."""
    for loop in (False, True):
        label = "4 broken" + (" + loop" if loop else "")
        folder = work / ("broken-loop" if loop else "broken")
        make_broken_folder(folder, good, loop=loop)
        entries = sorted(os.listdir(folder))
        for jobs in (1, 2):
            out = work / f"{folder.name}-{jobs}.csv"
            rc, seconds, err = run_timed([*ocr, "batch", str(folder), "--out", str(out), "--jobs", str(jobs)])
            rows, problem = read_rows(out) if out.exists() else ([], "no output file")
            named = {os.path.basename(row["file"]) for row in rows}
            missing = [e for e in entries if e not in named]
            traceback = "Traceback" in err
            table.append((label, f"jobs {jobs}: exit, rows/entries, traceback",
                          f"exit {rc}, {len(rows)}/{len(entries)} rows, "
                          f"traceback {'YES: ' + err.strip().splitlines()[-1] if traceback else 'no'}"
                          f"{', ' + problem if problem else ''}"))
            if missing:
                table.append((label, f"jobs {jobs}: entries without a row", ", ".join(missing)))
            if jobs == 2:
                for row in rows:
                    table.append((label, f"  {os.path.basename(row['file'])}",
                                  f"{row['status']:<5} {row['text'] or '-':<8} {row['error']}"))


# --- main ------------------------------------------------------------------------------------


def print_table(table: list[tuple[str, str, str]]) -> None:
    w0 = max(len(r[0]) for r in table)
    w1 = max(len(r[1]) for r in table)
    print(f"{'section':<{w0}}  {'measure':<{w1}}  value")
    print(f"{'-' * w0}  {'-' * w1}  {'-' * 40}")
    previous = None
    for section, measure, value in table:
        print(f"{section if section != previous else '':<{w0}}  {measure:<{w1}}  {value}")
        previous = section


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="plain strips for speed and resume")
    parser.add_argument("--n-tesseract", type=int, default=500, help="of those, strips for Tesseract")
    parser.add_argument("--n-small", type=int, default=100_000, help="small files for the memory run")
    parser.add_argument("--n-small-check", type=int, default=20_000, help="small files for the comparison run")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--poll", type=float, default=0.05, help="seconds between memory samples")
    parser.add_argument("--ocr", default=str(Path(sys.executable).parent / "ocr"), help="the ocr executable")
    parser.add_argument("--keep", action="store_true", help="keep the generated data and outputs")
    args = parser.parse_args()

    ocr = [args.ocr] if Path(args.ocr).exists() else [sys.executable, "-m", "ocr"]
    # Started in the background by a non-interactive shell (`python batch_speed.py &`), this
    # process ignores SIGINT, and so would every `ocr batch` it starts: Python keeps an
    # inherited SIG_IGN, and section 3's Ctrl-C would never arrive. With Python's own
    # handler installed here, the children start with the default (caught handlers are
    # reset by exec), as they do under a terminal.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    work = Path(tempfile.mkdtemp(prefix="ocr-batch-speed-"))
    table: list[tuple[str, str, str]] = []
    began = time.perf_counter()
    try:
        jobs = os.cpu_count() or 1
        print(f"data in {work}; generating ...", file=sys.stderr)
        strips = work / "strips"
        labels = make_strips(strips, args.n, seed=args.seed, jobs=jobs)
        small = [(work / f"small-{n}", make_small_files(work / f"small-{n}", n, seed=args.seed))
                 for n in (args.n_small, args.n_small_check)]
        table.append(("0 setup", "cpus, data generation",
                      f"{jobs} cpus; {args.n:,} strips + {args.n_small + args.n_small_check:,} small files "
                      f"in {time.perf_counter() - began:.0f} s"))

        print("1 speed ...", file=sys.stderr)
        reference = measure_speed(table, ocr, strips, labels, work, args.n_tesseract)
        print("2 memory ...", file=sys.stderr)
        measure_memory(table, ocr, small, args.poll)
        print("3 interrupt + resume ...", file=sys.stderr)
        for sig in (signal.SIGINT, signal.SIGKILL):
            interrupt_and_resume(table, ocr, strips, reference, work, sig)
        print("4 broken files ...", file=sys.stderr)
        broken_files(table, ocr, work, sorted(strips.glob("*.png"))[:2])
        table.append(("", "total run time", f"{time.perf_counter() - began:.0f} s"))
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print_table(table)


if __name__ == "__main__":
    main()
