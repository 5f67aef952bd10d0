"""Thin Click layer: parse options, call the library, pick a formatter, set the exit code."""

from __future__ import annotations

import contextlib
import functools
import sys
import time

import click

from precursor_check import __version__
from precursor_check.errors import ExitCode, PrecheckError
from precursor_check.io.formats import Format

VERDICT_ORDER = ("controlled", "watch", "analog")


class PrecheckFailure(click.ClickException):
    """A PrecheckError surfaced to the shell: one line, exit code 3 (not 1, which means a hit)."""

    exit_code = int(ExitCode.INCOMPLETE)

    def format_message(self) -> str:
        return self.message


class Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except PrecheckError as exc:
            failure = PrecheckFailure(str(exc))
            failure.exit_code = int(exc.exit_code)
            raise failure from None
        except OSError as exc:
            if exc.errno == 32:  # broken pipe (e.g. `| head`): not an error of ours
                sys.exit(0)
            raise PrecheckFailure(f"{exc.strerror}: {exc.filename}" if exc.filename else str(exc)) from None


CONTEXT = {"help_option_names": ["-h", "--help"], "token_normalize_func": str.lower, "max_content_width": 100}


@click.group(cls=Group, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="precheck")
def cli():
    """Screen chemicals against drug-precursor watchlists.

    \b
    precheck CAS 79099-07-3
    precheck smiles 'CC(C)(C)OC(=O)N1CCC(=O)CC1.Cl'
    precheck check 79099-07-3 NPP 'O=C1CCN(CCc2ccccc2)CC1'
    precheck watchlist show PC-0018

    Exit codes: 0 nothing at or above --fail-on, 1 a hit, 2 usage error,
    3 the screen could not complete (unresolved/invalid inputs and no hit, unreadable file).
    """


# ---------------------------------------------------------------------------------------------
# shared options


def watchlist_options(f):
    @click.option("--watchlist", "watchlists", multiple=True, metavar="PATH", envvar="PRECHECK_WATCHLIST_EXTRA",
                  help="Extra watchlist YAML (repeatable; also PRECHECK_WATCHLIST, ':'-separated).")
    @click.option("--replace-watchlist", is_flag=True, help="Use only the --watchlist files, not the shipped list.")
    @functools.wraps(f)
    def wrapper(*a, **kw):
        return f(*a, **kw)

    return wrapper


def screen_options(f):
    @watchlist_options
    @click.option("-f", "--format", "fmt", type=click.Choice([x.value for x in Format], case_sensitive=False),
                  help="Report format [default: table on a terminal, else jsonl; or from -o's extension].")
    @click.option("-o", "--output", metavar="FILE", help="Write the report here (atomically) instead of stdout.")
    @click.option("--fail-on", type=click.Choice(VERDICT_ORDER, case_sensitive=False), default="analog",
                  show_default=True, help="Lowest verdict that makes the exit code 1.")
    @click.option("--threshold", type=click.FloatRange(0, 1), default=None,
                  help="Tanimoto similarity at or above which a structure is an analog [default: calibrated, see README].")
    @click.option("--jurisdiction", "jurisdictions", multiple=True, metavar="CODE",
                  help="Only hits under these laws count: UN, US, EU, CA, CN (repeatable or comma-separated).")
    @click.option("--as-of", metavar="YYYY-MM-DD", help="Read the law as it stood on this date (effective dates).")
    @click.option("--resolve-file", "resolve_files", multiple=True, metavar="CSV",
                  help="Your own catalogue (CAS/name + SMILES columns), used before the built-in sources.")
    @click.option("--raw-csv", is_flag=True, help="Do not neutralise spreadsheet formulas in CSV/TSV cells.")
    @click.option("-q", "--quiet", is_flag=True, help="No summary on stderr.")
    @click.option("--report", "report", metavar="FILE.html",
                  help="Also write a self-contained HTML report (summary, flagged rows with depictions).")
    @click.option("--audit-log", "audit_log", metavar="FILE", envvar="PRECHECK_AUDIT_LOG", show_envvar=True,
                  help="Append one JSON line per screened query (who, when, what, verdict) to FILE.")
    @functools.wraps(f)
    def wrapper(*a, **kw):
        return f(*a, **kw)

    return wrapper


def _jurisdictions(values) -> list[str] | None:
    from precursor_check.watchlist.load import JURISDICTIONS

    out = [j.strip().upper() for v in values for j in v.split(",") if j.strip()]
    for j in out:
        if j not in JURISDICTIONS:
            raise click.BadParameter(f"{j!r} is not one of {', '.join(JURISDICTIONS)}", param_hint="--jurisdiction")
    return out or None


def _as_of(value: str | None) -> str | None:
    if not value:
        return None
    import datetime as dt

    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2024-06-30", param_hint="--as-of") from None


def make_screener(opts: dict):
    from precursor_check.engines.screener import Screener

    return Screener(
        watchlists=opts["watchlists"],
        replace=opts["replace_watchlist"],
        threshold=opts["threshold"],
        jurisdictions=_jurisdictions(opts["jurisdictions"]),
        as_of=_as_of(opts["as_of"]),
        resolve_files=opts["resolve_files"],
    )


def pick_format(fmt: str | None, output: str | None) -> Format:
    if fmt:
        return Format(fmt.lower())
    if output and output != "-":
        ext = output.rsplit(".", 1)[-1].lower()
        if ext in {f.value for f in Format}:
            return Format(ext)
        if ext == "txt":
            return Format.TABLE
    return Format.TABLE if sys.stdout.isatty() else Format.JSONL


def meta_of(screener) -> dict:
    wl = screener.watchlist
    return {"tool_version": __version__, "watchlist_version": wl.version, "watchlist_sha256": wl.sha256}


def exit_code_for(counts: dict[str, int], fail_on: str) -> ExitCode:
    from precursor_check.model import Verdict

    threshold = Verdict(fail_on).severity
    if any(n and Verdict(v).severity >= threshold for v, n in counts.items() if Verdict(v).is_hit):
        return ExitCode.HIT
    if counts.get("unresolved") or counts.get("invalid"):
        return ExitCode.INCOMPLETE
    return ExitCode.OK


def summary_line(counts: dict[str, int], n: int, seconds: float) -> str:
    parts = ", ".join(f"{counts[v]} {v}" for v in ("controlled", "watch", "analog", "clear", "unresolved", "invalid")
                      if counts.get(v))
    rate = f", {n / seconds:,.0f} rows/s" if seconds > 0 and n >= 1000 else ""
    return f"precheck: {n} quer{'y' if n == 1 else 'ies'}: {parts or 'nothing screened'} ({seconds:.2f} s{rate})"


@contextlib.contextmanager
def side_outputs(opts: dict, screener):
    """--report and --audit-log: yields `sink(result)`, to be called with every result (None: neither asked for).

    The HTML report appears (atomically) only if the block completes; audit lines are flushed
    even when it does not (the queries were screened).
    """
    report_path, audit_path = opts.get("report"), opts.get("audit_log")
    if report_path == "-":
        raise click.BadParameter("give a file name (stdout carries the main report)", param_hint="--report")
    if not report_path and not audit_path:
        yield None
        return
    from precursor_check.io.audit import maybe_audit

    meta = meta_of(screener)
    with contextlib.ExitStack() as stack:
        audit = stack.enter_context(maybe_audit(audit_path, meta))
        report = None
        if report_path:
            from precursor_check.io.atomic import open_output
            from precursor_check.io.formats.html import HtmlReport

            report = HtmlReport(stack.enter_context(open_output(report_path)), screener.watchlist)
            report.begin(meta)

        def sink(r) -> None:
            if audit is not None:
                audit.add(r)
            if report is not None:
                report.add(r.to_dict())

        yield sink
        if report is not None:
            report.end()


def run_report(results, opts: dict, screener, extra_columns: list[str] | None = None) -> None:
    """Write every result through the chosen formatter, print the summary, exit with the right code."""
    from precursor_check.io.atomic import open_output
    from precursor_check.io.formats import make_writer

    fmt = pick_format(opts.get("fmt"), opts.get("output"))
    counts: dict[str, int] = {}
    t0 = time.perf_counter()
    n = 0
    with side_outputs(opts, screener) as sink, open_output(opts.get("output")) as out:
        writer = make_writer(fmt, out, escape_formulas=not opts.get("raw_csv"), extra_columns=extra_columns)
        writer.begin(meta_of(screener))
        for r in results:
            writer.write(r)
            if sink is not None:
                sink(r)
            counts[r.verdict.value] = counts.get(r.verdict.value, 0) + 1
            n += 1
        writer.end()
    if not opts.get("quiet"):
        click.echo(summary_line(counts, n, time.perf_counter() - t0), err=True)
    sys.exit(int(exit_code_for(counts, opts["fail_on"].lower())))


def _queries(values: tuple[str, ...]):
    """Arguments in order; '-' reads one query per line from stdin (blank lines skipped)."""
    for v in values:
        if v == "-":
            for line in sys.stdin:
                if line.strip():
                    yield line.rstrip("\n")
        else:
            yield v


def _query_command(name: str, input_type: str | None, help_text: str):
    @cli.command(name, help=help_text)
    @click.argument("queries", nargs=-1, required=True)
    @screen_options
    def command(queries, **opts):
        screener = make_screener(opts)
        results = screener.screen_many(_queries(queries), input_type=input_type)
        run_report(results, opts, screener)

    return command


_query_command("check", None, """Screen queries of any kind; the type of each is detected.

\b
precheck check 79099-07-3 NPP 'O=C1CCN(CCc2ccccc2)CC1' InChI=1S/...
echo 79099-07-3 | precheck check -f jsonl -
""")
_query_command("cas", "cas", """Screen CAS numbers (79099-07-3, 79099073, 'CAS No. 79099-07-3').

\b
precheck CAS 79099-07-3
precheck cas 79099-07-3 108-24-7 50-00-0
""")
_query_command("smiles", "smiles", """Screen SMILES (salts and solvates are stripped to the parent).

\b
precheck smiles 'CC(C)(C)OC(=O)N1CCC(=O)CC1.Cl'
""")
_query_command("inchi", "inchi", """Screen InChI strings.

\b
precheck inchi 'InChI=1S/C10H17NO3/c1-10(2,3)14-9(13)11-6-4-8(12)5-7-11/h4-7H2,1-3H3'
""")
_query_command("name", "name", """Screen chemical names, synonyms and trade abbreviations.

\b
precheck name '1-boc-4-piperidone' NPP 'BMK methyl glycidate'
""")


# ---------------------------------------------------------------------------------------------
# screen (batch files; the engine lives in engines/batch.py, the readers in io/readers.py)


@cli.command("screen")
@click.argument("input_path", metavar="INPUT", default="-")
@click.option("--column", metavar="NAME|N", help="Column holding the chemicals [default: detected from the header: "
              "cas, cas_number, CAS RN, smiles, inchi, inchikey, name, product ...].")
@click.option("--type", "input_type", type=click.Choice(["auto", "cas", "smiles", "inchi", "inchikey", "name"],
              case_sensitive=False), default="auto", show_default=True,
              help="Query type of every row [auto: implied by the column header, else detected per row].")
@click.option("--input-format", type=click.Choice(["auto", "csv", "tsv", "smi", "sdf", "parquet"],
              case_sensitive=False), default="auto", show_default=True, help="Input format [auto: from the extension/content].")
@click.option("--workers", "-j", type=click.IntRange(0), default=None,
              help="Worker processes [default: all cores; 0 screens in this process].")
@click.option("--chunk-size", type=click.IntRange(1), default=256, show_default=True,
              help="Queries sent to a worker at a time.")
@click.option("--max-atoms", type=click.IntRange(0), default=250, show_default=True,
              help="Rows with more heavy atoms are reported invalid, not screened (0: no cap).")
@click.option("--row-timeout", type=click.FloatRange(0.1), default=10.0, show_default=True,
              help="Seconds a row may take before it is cut off and reported invalid (local engine only).")
@click.option("--engine", type=click.Choice(["local", "dask"], case_sensitive=False), default="local",
              show_default=True, help="dask: Parquet, CSV/TSV, .smi or SDF files (paths, globs, URLs) -> -o DIR of "
              "Parquet parts (needs the dask extra; see docs/dask.md).")
@click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler (tcp://host:8786) [default: a local cluster].")
@screen_options
def screen_command(input_path, column, input_type, input_format, workers, chunk_size, max_atoms, row_timeout,
                   engine, scheduler, **opts):
    """Screen a file of chemicals: every input row out, in order, with result columns appended.

    \b
    precheck screen orders.csv -o screened.csv          # CSV/TSV, delimiter sniffed
    cat orders.csv | precheck screen - -f jsonl | jq .
    precheck screen catalogue.parquet --column smiles -o out.parquet
    precheck screen library.sdf -f jsonl
    precheck screen orders.csv --fail-on controlled && ship.sh
    precheck screen 'catalogue/*.parquet' --engine dask --scheduler tcp://host:8786 -o screened/

    Inputs: CSV/TSV (UTF-8, with or without BOM), .smi, SDF, Parquet, '-' for stdin.
    Formats: csv, tsv, jsonl, json, parquet, table. See docs/batch.md.
    """
    import contextlib

    from precursor_check.engines.batch import (
        BatchRunner,
        ScreenerConfig,
        output_columns,
    )
    from precursor_check.io.atomic import open_output
    from precursor_check.io.formats.batchcsv import batch_writer
    from precursor_check.io.readers import open_input, query_text

    config = ScreenerConfig(
        watchlists=tuple(opts["watchlists"]), replace=opts["replace_watchlist"], threshold=opts["threshold"],
        jurisdictions=tuple(_jurisdictions(opts["jurisdictions"]) or ()) or None, as_of=_as_of(opts["as_of"]),
        resolve_files=tuple(opts["resolve_files"]), max_atoms=max_atoms or None)
    screener = config.build()  # fails fast on a bad watchlist, before any worker starts
    if engine.lower() == "dask":
        from precursor_check.engines.dask_engine import cli_screen

        run = cli_screen(input_path, config, screener, column, input_type, input_format, workers, scheduler, opts)
        if not opts.get("quiet"):
            click.echo(summary_line(run.counts, run.rows, run.seconds), err=True)
        sys.exit(int(exit_code_for(run.counts, opts["fail_on"].lower())))
    fmt = pick_format(opts.get("fmt"), opts.get("output"))
    src = open_input(input_path, column=column, input_type=input_type.lower(), fmt=input_format.lower())
    names = output_columns(src.columns)
    out_cols = [names[c] for c in src.columns]
    kw = {"escape_formulas": not opts.get("raw_csv"), "extra_columns": out_cols}
    schema = getattr(src, "arrow_schema", None)
    if fmt.value == "parquet" and schema is not None:
        kw["extra_types"] = {names[f.name]: f.type for f in schema}
    idx, width = src.index, len(out_cols)

    def items():  # (row, query, cell values); an SDF row also carries its molblock, dropped here
        for i, values in enumerate(src.rows(), start=1):
            yield i, query_text(values[idx]), values if len(values) == width else values[:width]

    runner = BatchRunner(config, input_type=src.input_type, workers=workers, chunk_size=chunk_size,
                         row_timeout=row_timeout, screener=screener)
    show = sys.stderr.isatty() and not opts.get("quiet")
    counts: dict[str, int] = {}
    n = 0
    t0 = time.perf_counter()
    import signal

    def _terminate(signum, frame):  # SIGTERM, SIGHUP: clean up like Ctrl-C (pool down, no partial file)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    if hasattr(signal, "SIGHUP"):  # the terminal or ssh session closed
        signal.signal(signal.SIGHUP, _terminate)
    try:
        from precursor_check.engines import known  # CAS batches: known chemicals screened once, then looked up

        known.prepare(config, screener, src.input_type, known.expected_rows(src), workers, quiet=opts.get("quiet"))
        with contextlib.ExitStack() as stack:
            out = stack.enter_context(open_output(opts.get("output"), binary=fmt.value == "parquet"))
            chunks = stack.enter_context(contextlib.closing(runner.run_chunks(items())))
            progress = task = None
            if show:
                from rich.console import Console
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeRemainingColumn,
                )

                unit = "rows" if src.format == "parquet" else "bytes"
                progress = stack.enter_context(Progress(
                    TextColumn("screening"), BarColumn(), MofNCompleteColumn() if unit == "rows" else
                    TextColumn("{task.percentage:>3.0f}%"), TextColumn("{task.fields[rows]} rows"),
                    TimeRemainingColumn(), console=Console(stderr=True), transient=True))
                task = progress.add_task("screen", total=src.total, rows=0)
            writer = batch_writer(fmt, out, **kw)
            writer.begin(meta_of(screener))
            runner.tail = getattr(writer, "renderer", None)  # CSV/TSV: workers render the result columns
            sink = stack.enter_context(side_outputs(opts, screener))  # --report / --audit-log
            # CSV/TSV take a chunk at a time; other formats and the side outputs a stamped result a row
            whole = hasattr(writer, "write_chunk") and sink is None and src.input_type != "molblock"
            tally: dict = {}  # Verdict -> rows (enum keys: .value on every row costs more than the count)
            for rows, results in chunks:
                if whole:
                    writer.write_chunk(rows, results)
                else:
                    for r in runner.stamped(rows, results, out_cols):
                        writer.write(r)
                        if sink is not None:
                            sink(r)
                for r in results:
                    v = r.verdict
                    tally[v] = tally.get(v, 0) + 1
                n += len(rows)
                if progress is not None:
                    progress.update(task, completed=src.done, rows=n)
            writer.end()
            counts.update({v.value: k for v, k in tally.items()})
    except KeyboardInterrupt:
        click.echo("precheck: interrupted; no report written", err=True)
        sys.exit(130)
    finally:
        src.close()
    if not opts.get("quiet"):
        click.echo(summary_line(counts, n, time.perf_counter() - t0), err=True)
        if runner.cut_off:
            click.echo(f"precheck: {runner.cut_off} row(s) cut off after {row_timeout:g} s each", err=True)
        if src.unlisted:
            click.echo(f"precheck: note: SDF data fields not in the first record are not in the output: "
                       f"{', '.join(sorted(src.unlisted)[:10])}", err=True)
        if src.ragged:
            click.echo(f"precheck: note: {src.ragged} row(s) had more cells than the header; the extra cells "
                       f"were kept, joined, in the last column {src.columns[-1]!r}", err=True)
    sys.exit(int(exit_code_for(counts, opts["fail_on"].lower())))


# ---------------------------------------------------------------------------------------------
# watchlist


@cli.group("watchlist", cls=Group)
def watchlist_group():
    """Inspect and validate watchlists."""


def _load_wl(opts):
    from precursor_check.watchlist.load import default_paths, load

    return load(default_paths(tuple(opts["watchlists"]), opts["replace_watchlist"]))


@watchlist_group.command("list")
@watchlist_options
@click.option("--jurisdiction", "jurisdictions", multiple=True, metavar="CODE", help="Only entries listed here.")
@click.option("--family", "families", multiple=True, help="Only entries of this drug family (e.g. fentanyl).")
@click.option("--rules/--no-rules", default=True, help="Also list class rules.")
def watchlist_list(jurisdictions, families, rules, **opts):
    """List entries (and rules): id, name, CAS, lists.

    \b
    precheck watchlist list --jurisdiction US --family fentanyl
    """
    wl = _load_wl(opts)
    jur = set(_jurisdictions(jurisdictions) or [])
    fam = {f.lower() for f in families}

    def keep(item) -> bool:
        if jur and not any(lst.jurisdiction in jur for lst in item.listings):
            return False
        return not fam or bool(fam & {f.lower() for f in item.families})

    for e in wl.entries:
        if keep(e):
            lists = "; ".join(f"{lst.jurisdiction} {lst.list}" for lst in e.listings) or e.status
            click.echo(f"{e.id}\t{e.name}\t{e.cas or '-'}\t{lists}")
    if rules:
        for r in wl.rules:
            if keep(r):
                lists = "; ".join(f"{lst.jurisdiction} {lst.list}" for lst in r.listings) or "alert"
                click.echo(f"{r.id}\t{r.name}\t-\t{r.kind}: {lists}")


@watchlist_group.command("show")
@click.argument("ident")
@watchlist_options
def watchlist_show(ident, **opts):
    """Everything about one entry or rule, with its citations.

    \b
    precheck watchlist show PC-0018
    """
    import yaml

    wl = _load_wl(opts)
    item = wl.entry(ident) or wl.rule(ident)
    if item is None:
        low = ident.lower()
        item = next((e for e in wl.entries if low in (e.name.lower(), *(a.lower() for a in e.abbreviations))
                     or e.cas == ident), None)
    if item is None:
        raise PrecheckError(f"no entry or rule {ident!r}; `precheck watchlist list` shows the ids")
    from dataclasses import asdict

    d = {k: v for k, v in asdict(item).items() if v not in ((), "", None)}
    click.echo(yaml.safe_dump(d, sort_keys=False, allow_unicode=True, width=100))


@watchlist_group.command("stats")
@watchlist_options
def watchlist_stats(**opts):
    """Counts per jurisdiction and list, newest effective date, version.

    \b
    precheck watchlist stats
    """
    from precursor_check.watchlist.load import JURISDICTIONS

    wl = _load_wl(opts)
    click.echo(f"watchlist {wl.version}  sha256 {wl.sha256}")
    click.echo(f"entries: {len(wl.entries)} ({sum(e.status == 'controlled' for e in wl.entries)} controlled, "
               f"{sum(e.status == 'watch' for e in wl.entries)} watch); rules: {len(wl.rules)} "
               f"({sum(r.kind == 'legal' for r in wl.rules)} legal, {sum(r.kind == 'alert' for r in wl.rules)} alert)")
    click.echo(f"newest effective date: {wl.newest_effective() or 'unknown'}")
    for j in JURISDICTIONS:
        lists: dict[str, int] = {}
        for e in wl.entries:
            for name in dict.fromkeys(lst.list for lst in e.listings if lst.jurisdiction == j):
                lists[name] = lists.get(name, 0) + 1
        total = sum(any(lst.jurisdiction == j for lst in e.listings) for e in wl.entries)
        click.echo(f"{j}: {total} entries" + "".join(f"\n  {k}: {v}" for k, v in sorted(lists.items())))


@watchlist_group.command("validate")
@click.argument("path", required=False)
def watchlist_validate(path):
    """Check a watchlist: schema, structures, CAS check digits, duplicates, rule examples (exit 0 or 3).

    \b
    precheck watchlist validate
    precheck watchlist validate my-list.yaml
    """
    from pathlib import Path

    from precursor_check.watchlist.load import shipped_path
    from precursor_check.watchlist.validate import validate

    problems, summary = validate([Path(path)] if path else [shipped_path()])
    for p in problems:
        click.echo(f"error: {p}", err=True)
    click.echo(summary)
    sys.exit(int(ExitCode.INCOMPLETE if problems else ExitCode.OK))


# ---------------------------------------------------------------------------------------------
# report (HTML from saved results) and audit


@cli.command("report")
@click.argument("results_path", metavar="RESULTS.jsonl", default="-")
@click.option("-o", "--output", metavar="FILE.html", help="Write the HTML report here (atomically) [default: stdout].")
@click.option("--max-drawn", type=click.IntRange(0), default=None,
              help="Flagged rows drawn with depictions; later rows are text only [default: 500].")
@watchlist_options
def report_command(results_path, output, max_drawn, **opts):
    """Build the HTML report from saved JSONL (or JSON) results.

    Entry depictions come from the shipped watchlist (or --watchlist), looked up by hit id.

    \b
    precheck screen orders.csv -f jsonl -o results.jsonl
    precheck report results.jsonl -o report.html
    """
    from pathlib import Path

    from precursor_check.io.atomic import open_output
    from precursor_check.io.formats.html import DEFAULT_MAX_DRAWN, read_results, render

    wl = _load_wl(opts)
    if results_path == "-":
        fh, where = sys.stdin, "stdin"
    else:
        try:
            fh = open(results_path, encoding="utf-8")
        except OSError as exc:
            raise PrecheckError(f"cannot read {results_path}: {exc.strerror}") from None
        where = results_path
    records = iter(read_results(fh, where))
    first = next(records, None)
    if first is None:
        raise PrecheckError(f"{where}: no results in it")
    note = None
    if first.get("watchlist_sha256") and first.get("watchlist_sha256") != wl.sha256:
        note = (f"these results were screened with watchlist {first.get('watchlist_version')} "
                f"({str(first.get('watchlist_sha256'))[:12]}…); entry structures are drawn from watchlist "
                f"{wl.version} ({wl.sha256[:12]}…)")

    def chain():
        yield first
        yield from records

    src = where if results_path == "-" else str(Path(results_path).resolve())
    with open_output(output) as out:
        rep = render(chain(), out, wl, source=src, note=note,
                     max_drawn=DEFAULT_MAX_DRAWN if max_drawn is None else max_drawn)
    if fh is not sys.stdin:
        fh.close()
    click.echo(f"precheck: report of {rep.n:,} results ({rep.flagged:,} flagged) written to {output or 'stdout'}",
               err=True)


@cli.group("audit", cls=Group)
def audit_group():
    """Check audit logs written with --audit-log / PRECHECK_AUDIT_LOG."""


@audit_group.command("verify")
@click.argument("path", metavar="FILE")
def audit_verify(path):
    """Check an audit log is well formed; print its span and counts (exit 0, or 3 if not well formed).

    Well formed: every line is JSON with the required fields, and times never decrease.

    \b
    precheck audit verify /var/log/precheck/audit.jsonl
    """
    from precursor_check.io.audit import describe, verify

    v = verify(path)
    for line in describe(v, path):
        click.echo(line, err=line.startswith("error:"))
    sys.exit(int(ExitCode.OK if v.ok else ExitCode.INCOMPLETE))


@cli.command("text")
@click.argument("source", type=click.Path(allow_dash=True, dir_okay=False))
@screen_options
def text_cmd(source, **opts):
    """Scan free text (listings, chats, e-mails) for chemical mentions and screen each one.

    Finds CAS numbers in any common writing, partial CAS numbers after 'CAS' that match one
    listed chemical ('CAS79099' -> 79099-07-3), watchlist names and abbreviations, and SMILES.

    \b
    precheck text listing.txt
    echo 'CAS79099 powder, NPP in stock' | precheck text - -f jsonl
    """
    import re
    from dataclasses import replace

    from precursor_check.errors import InputError
    from precursor_check.identify.textscan import TextScanner

    try:
        if source == "-":
            text = sys.stdin.read()
        else:
            with open(source, encoding="utf-8-sig", newline="") as fh:
                text = fh.read()
    except FileNotFoundError:
        raise InputError(f"cannot read {source}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {source}: {exc}; give a UTF-8 text file") from None
    lines = re.split(r"\r\n|\n|\r", text)  # line breaks only: a form feed (pdftotext's page break) is not a line
    screener = make_screener(opts)
    mentions = TextScanner(screener.compiled, screener.resolver.known_cas).scan(lines)

    seen: dict[tuple[str, str], object] = {}  # a name repeated through a long text is screened once

    def results():
        for i, m in enumerate(mentions, start=1):
            key = (m.query, m.input_type)
            if key not in seen:
                seen[key] = screener.screen(m.query, input_type=m.input_type)
            r = replace(seen[key], row=i)
            extra = {"line": m.line, "start": m.start, "end": m.end, "text": m.text, "found_as": m.kind}
            if m.kind == "partial_cas" and r.top:
                r = replace(r, error=f"partial CAS {m.text!r} matches only {m.query}")
            yield replace(r, extra=extra)

    run_report(results(), opts, screener, extra_columns=["line", "start", "end", "text", "found_as"])


def main():
    cli(prog_name="precheck")


if __name__ == "__main__":
    main()
