#!/usr/bin/env python3
"""Plots from hpcrec's metrics files and the bench tables.

  plot.py convergence METRICS.jsonl... -o PNG   train/test RMSE, loss (and ranking
                                                metrics from --ranking-every) per iteration
  plot.py ranking METRICS.jsonl... -o PNG       precision/recall/NDCG/MAP@k per model
  plot.py scaling TABLE.tsv|METRICS.jsonl... -o PNG
                                                seconds per iteration against MPI ranks
  plot.py check                                 is matplotlib importable? (exit 0 / 3)

METRICS.jsonl is what `hpcrec train --metrics-out FILE` writes: one JSON
object per line, one per iteration and a last one with "final": true (with
--folds: per-fold records and a "cv" record; hybrid: "component" records).
A run is labelled by its "algorithm" field when the records carry one, else
by the file name without its extension; hybrid component records by the
component. TABLE.tsv is what bench/als_bench.sh and bench/ials_bench.sh write
($OUT/als_bench.tsv, $OUT/ials_bench.tsv): a header line, tab-separated,
with at least the columns ranks and s_per_iter (optional: series, threads,
isa, cpu).

Needs matplotlib (Debian: python3-matplotlib; `HPCREC_WITH_PLOTS=1
scripts/setup.sh` installs it); drawn with the Agg backend, no display
needed. When the python3 running this has no matplotlib but Debian's
/usr/bin/python3 has, the script re-runs itself with that one.
Exit status: 0 drawn, 2 bad input (the message names the file and line),
3 matplotlib missing.
"""
import argparse
import json
import math
import os
import re
import sys

RANKING_METRICS = ["precision_at_k", "recall_at_k", "ndcg_at_k", "map_at_k"]
HINT = ("HPCREC_WITH_PLOTS=1 scripts/setup.sh installs it (Debian's python3-matplotlib, "
        "python3-h5py)")


class InputError(Exception):
    """Bad input: exit 2 with the message."""


# ---------------------------------------------------------------- reading


def read_jsonl(path):
    """[(line number, dict)] of a metrics file; InputError naming FILE:LINE."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}")
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})")
    records = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError as e:
            raise InputError(f"{path}:{n}: not a JSON object ({e.msg}, column {e.colno}): "
                             f"{shorten(line)}")
        if not isinstance(rec, dict):
            raise InputError(f"{path}:{n}: expected a JSON object, got {type(rec).__name__}: "
                             f"{shorten(line)}")
        records.append((n, rec))
    if not records:
        raise InputError(f"{path}: empty (no metrics records)")
    return records


def shorten(s, n=80):
    return s if len(s) <= n else s[:n] + "..."


def stem(path):
    base = os.path.basename(path)
    for ext in (".jsonl", ".json", ".tsv", ".txt"):
        if base.endswith(ext):
            return base[: -len(ext)]
    return base


def number(path, n, rec, key):
    """rec[key] as a float, None when absent or null; InputError when not a number."""
    v = rec.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise InputError(f"{path}:{n}: \"{key}\" is not a number: {v!r}")
    return float(v)


def run_label(path, records):
    """The run's "algorithm" when any record carries one, else the file name."""
    for _, rec in records:
        a = rec.get("algorithm")
        if isinstance(a, str) and a:
            return a
    return stem(path)


def file_labels(args, files):
    """A label per file: --label in order, else the run's algorithm or file name."""
    given = args.label or []
    if len(given) > len(files):
        raise InputError(f"{len(given)} --label for {len(files)} file(s)")
    labels = [run_label(p, r) for p, r in files]
    labels = unique_labels(labels, [p for p, _ in files])
    return given + labels[len(given):]


def unique_labels(labels, paths):
    """Labels that collide get the file name appended."""
    out = []
    for i, (label, path) in enumerate(zip(labels, paths)):
        if labels.count(label) > 1 and stem(path) != label:
            label = f"{label} ({stem(path)})"
        out.append(label)
    return out


def metric_name(key, k="k"):
    """precision_at_k -> precision@10, ndcg_at_k -> NDCG@10."""
    if key.endswith("_at_k"):
        base = key[: -len("_at_k")]
        base = {"ndcg": "NDCG", "map": "MAP", "hit_rate": "hit rate"}.get(base, base)
        return f"{base}@{k}"
    return key


def is_iteration(rec):
    return "iteration" in rec and not rec.get("final") and not rec.get("cv")


# ------------------------------------------------------------ matplotlib


def pyplot():
    """matplotlib.pyplot with the Agg backend; re-runs under /usr/bin/python3
    when this interpreter has no matplotlib and that one may."""
    try:
        import matplotlib
    except ImportError:
        alt = "/usr/bin/python3"
        if (os.path.exists(alt) and os.path.realpath(sys.executable) != os.path.realpath(alt)
                and not os.environ.get("HPCREC_PLOT_REEXEC")):
            os.environ["HPCREC_PLOT_REEXEC"] = "1"
            sys.stdout.flush()
            os.execv(alt, [alt, os.path.abspath(__file__)] + sys.argv[1:])
        print(f"plot.py: matplotlib is not installed for {sys.executable}: {HINT}", file=sys.stderr)
        sys.exit(3)
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save(plt, fig, args):
    out = args.out
    if os.path.dirname(out):
        os.makedirs(os.path.dirname(out), exist_ok=True)
    fig.savefig(out, dpi=args.dpi, metadata={"Software": None})
    plt.close(fig)
    print(out)


# ----------------------------------------------------------- convergence

PANEL_TITLES = {"rmse": "RMSE (solid: test, dashed: train)", "loss": "loss"}


def convergence_series(path, records, validation):
    """{(component, validation, fold): [record, ...]} of per-iteration records."""
    series = {}
    for n, rec in records:
        if not is_iteration(rec):
            continue
        if rec.get("validation") and not validation:
            continue
        key = (rec.get("component"), bool(rec.get("validation")), rec.get("fold"))
        it = number(path, n, rec, "iteration")
        if it is None:
            raise InputError(f"{path}:{n}: \"iteration\" is null")
        series.setdefault(key, []).append((it, n, rec))
    return series


def series_label(label, key, several_components):
    component, validation, fold = key
    if component is not None:
        label = f"{label}: {component}" if several_components else component
    if fold is not None:
        label += f" fold {fold}"
    if validation:
        label += " (validation)"
    return label


def panel_keys(panel):
    if panel == "rmse":
        return [("test_rmse", "-"), ("train_rmse", "--")]
    if panel == "loss":
        return [("loss", "-"), ("ials_loss", "-")]
    return [(panel, "-")]


def cmd_convergence(args):
    files = [(p, read_jsonl(p)) for p in args.files]
    runs = []  # (label, [(it, n, rec)]) per series
    labels = file_labels(args, files)
    for (path, records), label in zip(files, labels):
        series = convergence_series(path, records, args.validation)
        if not series:
            raise InputError(f"{path}: no per-iteration records (lines with \"iteration\" "
                             f"that are not \"final\"); was it written by `hpcrec train --metrics-out`?")
        components = {k[0] for k in series if k[0] is not None}
        several = len(files) > 1 and bool(components)
        for key, points in series.items():
            points.sort(key=lambda p: p[0])
            runs.append((path, series_label(label, key, several), points))

    def has(panel):
        return any(any(k in rec for k, _ in panel_keys(panel) for _, _, rec in pts) for _, _, pts in runs)

    if args.metric:
        panels = args.metric
        for panel in panels:
            if not has(panel):
                raise InputError(f"no per-iteration \"{panel}\" in {', '.join(args.files)}")
    else:
        panels = [p for p in ("rmse", "loss", "ndcg_at_k") if has(p)]
        if not panels:
            raise InputError(f"no train_rmse, test_rmse, loss or ndcg_at_k per iteration in "
                             f"{', '.join(args.files)}")
    # Every value read (and checked) before matplotlib is imported.
    lines = {panel: [] for panel in panels}  # panel: [(run index, label, style, xs, ys)]
    for panel in panels:
        for i, (path, label, points) in enumerate(runs):
            for key, style in panel_keys(panel):
                xs, ys = [], []
                for it, n, rec in points:
                    v = number(path, n, rec, key)
                    if v is not None and math.isfinite(v):
                        xs.append(it)
                        ys.append(v)
                if xs:
                    lines[panel].append((i, label, style, xs, ys))

    plt = pyplot()
    width = max(5.0, 4.2 * len(panels))
    fig, axes = plt.subplots(1, len(panels), figsize=(width, 3.8), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, panel in zip(axes[0], panels):
        drawn, labelled = [], set()
        for i, label, style, xs, ys in lines[panel]:
            ax.plot(xs, ys, style, color=colors[i % len(colors)], marker="o" if len(xs) <= 30 else None,
                    markersize=3, label=None if i in labelled else label)
            labelled.add(i)
            drawn.extend(ys)
        ax.set_xlabel("iteration")
        ks = {eval_k(rec) for _, _, pts in runs for _, _, rec in pts if panel in rec} - {None}
        ax.set_title(PANEL_TITLES.get(panel, metric_name(panel, ks.pop() if len(ks) == 1 else "k")),
                     fontsize=10)
        ax.xaxis.get_major_locator().set_params(integer=True)
        positive = [y for y in drawn if y > 0]
        if panel == "loss" and positive and max(positive) / min(positive) > 20:
            ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    if args.title:
        fig.suptitle(args.title, fontsize=11)
    fig.tight_layout()
    save(plt, fig, args)


# --------------------------------------------------------------- ranking


def ranking_rows(path, records, label):
    """[(label, record, has_std)] of a file: its cross-validation record,
    else its hybrid component records and final record."""
    cv = [rec for _, rec in records if rec.get("cv")]
    if cv:
        return [(label, cv[-1], True)]
    rows = []
    for _, rec in records:
        c = rec.get("component")
        if (c is not None and not rec.get("validation") and not rec.get("final")
                and "precision_at_k" in rec):
            rows = [r for r in rows if r[0] != c] + [(str(c), rec, False)]
    finals = [rec for _, rec in records if rec.get("final")]
    if finals and any(k in finals[-1] for k in RANKING_METRICS):
        rows.append((label, finals[-1], False))
    elif not rows:
        what = ("the final record has no ranking metrics (was there test data?)" if finals
                else "no \"final\" record (did the run finish?)")
        raise InputError(f"{path}: {what}")
    return rows


def eval_k(rec):
    for v in (rec.get("k"), rec.get("eval_k"), (rec.get("settings") or {}).get("eval_k")
              if isinstance(rec.get("settings"), dict) else None):
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return int(v)
    return None


def cmd_ranking(args):
    metrics = args.metrics.split(",") if args.metrics else RANKING_METRICS
    files = [(p, read_jsonl(p)) for p in args.files]
    labels = file_labels(args, files)
    rows = []
    for (path, records), label in zip(files, labels):
        for model, rec, std in ranking_rows(path, records, label):
            rows.append((path, model, rec, std))
    models = [m for _, m, _, _ in rows]
    models = unique_labels(models, [p for p, _, _, _ in rows])
    values = []
    for (path, _, rec, std), model in zip(rows, models):
        vals, errs = [], []
        for m in metrics:
            v = rec.get(m)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                raise InputError(f"{path}: \"{m}\" of {model} is not a number: {v!r}")
            vals.append(float(v) if v is not None else float("nan"))
            e = rec.get(m + "_std") if std else None
            errs.append(float(e) if isinstance(e, (int, float)) else 0.0)
        if all(math.isnan(v) for v in vals):
            raise InputError(f"{path}: none of {', '.join(metrics)} in the record of {model}")
        values.append((model, vals, errs if std else None))
    ks = {eval_k(rec) for _, _, rec, _ in rows} - {None}
    k = str(ks.pop()) if len(ks) == 1 else "k"

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(6.0, 2.2 + 0.32 * len(values) * len(metrics)), 4.0))
    width = 0.8 / len(values)
    for i, (model, vals, errs) in enumerate(values):
        xs = [j + (i - (len(values) - 1) / 2) * width for j in range(len(metrics))]
        ax.bar(xs, vals, width, label=model, yerr=errs, capsize=2 if errs else 0)
        if args.annotate:
            for x, v in zip(xs, vals):
                if not math.isnan(v):
                    ax.text(x, v, f"{v:.3f}", ha="center", va="bottom", fontsize=6, rotation=90)
    ax.set_xticks(range(len(metrics)))
    ax.set_xticklabels([metric_name(m, k) for m in metrics])
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_ylim(0, ax.get_ylim()[1] * (1.1 if args.annotate else 1.02))
    if args.title:
        ax.set_title(args.title, fontsize=11)
    fig.tight_layout()
    save(plt, fig, args)


# --------------------------------------------------------------- scaling


def read_table(path):
    """[(line, {column: text})] of a tab-separated file with a header line."""
    cols, rows = None, []
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                line = line.rstrip("\n")
                if not line.strip() or line.startswith("#"):
                    continue
                fields = line.split("\t")
                if cols is None:  # the header, checked before the rest is read
                    cols = fields
                    for need in ("ranks", "s_per_iter"):
                        if need not in cols:
                            raise InputError(f"{path}:{n}: the header has no \"{need}\" column "
                                             f"(tab-separated header expected, got: {shorten(line)})")
                elif len(fields) != len(cols):
                    raise InputError(f"{path}:{n}: {len(fields)} tab-separated fields, the header "
                                     f"has {len(cols)}: {shorten(line)}")
                else:
                    rows.append((n, dict(zip(cols, fields))))
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}")
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})")
    if cols is None:
        raise InputError(f"{path}: empty (no header line)")
    if not rows:
        raise InputError(f"{path}: a header and no rows")
    return rows


def scaling_points(path):
    """[(series, ranks, seconds per iteration, info dict)] from a bench table or a metrics file."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096).lstrip()
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}")
    points = []
    if head.startswith(b"{"):
        records = read_jsonl(path)
        finals = [(n, rec) for n, rec in records if rec.get("final")]
        if not finals:
            raise InputError(f"{path}: no \"final\" record (did the run finish?)")
        n, rec = finals[-1]
        ranks, spi = number(path, n, rec, "ranks"), number(path, n, rec, "seconds_per_iteration")
        if ranks is None or spi is None:
            raise InputError(f"{path}:{n}: the final record has no \"ranks\" or \"seconds_per_iteration\"")
        label = rec.get("algorithm")
        settings = rec.get("settings") if isinstance(rec.get("settings"), dict) else {}
        if isinstance(label, str) and label:
            if label == "ials" and settings.get("solver"):
                label += f" {settings['solver']}"
        else:
            label = (re.sub(r"[_-]?np\d+$", "", stem(path))
                     or os.path.basename(os.path.dirname(os.path.abspath(path))))
        info = {k: str(rec[k]) for k in ("isa", "cpu", "threads") if rec.get(k) is not None}
        points.append((label, int(ranks), spi, info))
        return points
    for n, row in read_table(path):
        try:
            ranks = int(row["ranks"])
            spi = float(row["s_per_iter"])
        except ValueError:
            raise InputError(f"{path}:{n}: ranks {row['ranks']!r} or s_per_iter {row['s_per_iter']!r} "
                             f"is not a number")
        label = row.get("series") or stem(path)
        info = {k: row[k] for k in ("isa", "cpu", "threads") if row.get(k)}
        points.append((label, ranks, spi, info))
    return points


def cmd_scaling(args):
    points = []
    for p in args.files:
        points.extend(scaling_points(p))
    series = {}
    for label, ranks, spi, info in points:
        series.setdefault(label, {})[ranks] = spi
    infos = {}
    for _, _, _, info in points:
        for k, v in info.items():
            infos.setdefault(k, [])
            if v not in infos[k]:
                infos[k].append(v)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    all_ranks = sorted({r for s in series.values() for r in s})
    for i, (label, by_ranks) in enumerate(series.items()):
        rs = sorted(by_ranks)
        ys = [by_ranks[r] for r in rs]
        color = colors[i % len(colors)]
        ax.plot(rs, ys, "-o", color=color, label=label)
        if len(rs) > 1:
            ax.plot(rs, [ys[0] * rs[0] / r for r in rs], ":", color=color, alpha=0.6)
            ax.annotate(f"{ys[0] / ys[-1]:.2f}x", (rs[-1], ys[-1]), textcoords="offset points",
                        xytext=(6, 0), fontsize=8, color=color, va="center")
    ax.set_xticks(all_ranks)
    ax.set_xlabel("MPI ranks")
    ax.set_ylabel("seconds per iteration")
    if len(all_ranks) > 1:
        ax.set_xlim(all_ranks[0] - 0.3, all_ranks[-1] + 0.5)
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, title="dotted: ideal (1/ranks); Nx: speed-up", title_fontsize=8)
    title = args.title or "seconds per iteration against MPI ranks"
    machine = []
    if infos.get("cpu"):
        machine.append(" / ".join(infos["cpu"]))
    if infos.get("isa"):
        machine.append("ISA " + " / ".join(infos["isa"]))
    if infos.get("threads"):
        machine.append(" / ".join(infos["threads"]) + " thread(s) per rank")
    if machine:
        title += "\n" + ", ".join(machine)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    save(plt, fig, args)


# ------------------------------------------------------------------ main


def cmd_check(args):
    pyplot()
    import matplotlib
    print(f"matplotlib {matplotlib.__version__} ({sys.executable})")


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="plot.py", description=__doc__.split("\n\n")[0],
        epilog="Examples:\n"
               "  scripts/plot.py convergence out/demo/metrics.jsonl -o out/demo/convergence.png\n"
               "  scripts/plot.py ranking als.jsonl hybrid.jsonl -o ranking.png --title 'ml-100k u1'\n"
               "  scripts/plot.py scaling out/bench/als_bench.tsv out/bench/ials_bench.tsv -o scaling.png\n"
               "bench/plots.sh regenerates every PNG under docs/img.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def common(p, files_help):
        p.add_argument("files", nargs="+", metavar="FILE", help=files_help)
        p.add_argument("-o", "--out", required=True, metavar="PNG", help="the image to write")
        p.add_argument("--title", help="the plot's title")
        p.add_argument("--dpi", type=int, default=100, help="resolution (default 100)")

    p = sub.add_parser("convergence", help="train/test RMSE, loss (and ranking metrics) per iteration",
                       description="One line per run (file, hybrid component, fold): train and test "
                                   "RMSE (explicit models), loss (ials), NDCG@k (runs with "
                                   "--ranking-every), each in its own panel.")
    common(p, "metrics files (hpcrec train --metrics-out)")
    p.add_argument("--label", action="append", metavar="NAME",
                   help="the label of the first, second, ... file (default: its algorithm, else its name)")
    p.add_argument("--metric", action="append", metavar="KEY",
                   help="panels to draw: rmse (train and test), loss, or any per-iteration key "
                        "(e.g. ndcg_at_k, seconds); repeatable; default: those present of rmse, loss, ndcg_at_k")
    p.add_argument("--validation", action="store_true",
                   help="also the hybrid's validation-split trainings (\"validation\": true)")
    p.set_defaults(func=cmd_convergence)

    p = sub.add_parser("ranking", help="grouped bars of ranking metrics per model",
                       description="Bars of precision/recall/NDCG/MAP@k, one per model: a file's final "
                                   "record, its hybrid component records, or its cross-validation "
                                   "record (mean, standard deviation as error bars).")
    common(p, "metrics files (hpcrec train --metrics-out)")
    p.add_argument("--label", action="append", metavar="NAME",
                   help="the label of the first, second, ... file's final record (default: its "
                        "algorithm, else its name)")
    p.add_argument("--metrics", metavar="KEY,...",
                   help="the metrics, comma-separated (default precision_at_k,recall_at_k,ndcg_at_k,map_at_k)")
    p.add_argument("--annotate", action="store_true", help="write each bar's value above it")
    p.set_defaults(func=cmd_ranking)

    p = sub.add_parser("scaling", help="seconds per iteration against MPI ranks",
                       description="One line per series (bench table column 'series', else the run's "
                                   "algorithm or file name without _npN), with the ideal 1/ranks line "
                                   "and the speed-up at the most ranks; the CPU and ISA in the title.")
    common(p, "bench tables (als_bench.tsv, ials_bench.tsv) or metrics files with a final record")
    p.set_defaults(func=cmd_scaling)

    p = sub.add_parser("check", help="exit 0 when matplotlib can be imported, 3 when not")
    p.set_defaults(func=cmd_check)

    args = ap.parse_args(argv)
    try:
        args.func(args)
    except InputError as e:
        print(f"plot.py: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
