"""Thin Click layer: parse options, call the library, pick a formatter, set the exit code."""

from __future__ import annotations

import contextlib
import functools
import sys

import click
from click.core import ParameterSource

from precursor_check import __version__
from precursor_check.errors import ExitCode, PrecheckError
from precursor_check.io.formats import Format
from precursor_check.model import DEFAULT_THRESHOLD, Verdict

VERDICT_ORDER = tuple(v.value for v in Verdict if v.is_hit)  # the --fail-on choices


class PrecheckFailure(click.ClickException):
    """A PrecheckError surfaced to the shell: one line, exit code 3 (not 1, which means a hit)."""

    exit_code = int(ExitCode.INCOMPLETE)

    def format_message(self) -> str:
        return self.message


INFORMATIONAL = frozenset({"watchlist", "audit"})  # `| head` on these is not a failed screen


def _stdout_gone() -> None:
    """After a broken pipe: point stdout at /dev/null so that the final flush cannot fail again."""
    import os

    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


class Group(click.Group):
    def make_context(self, *args, **kwargs):
        try:  # a signal while the command line is parsed: as during the run (click would say "Aborted!", 1)
            return super().make_context(*args, **kwargs)
        except KeyboardInterrupt:
            _EXITING.append(True)
            click.echo("precheck: interrupted; no report written", err=True)
            sys.exit(130)

    def get_command(self, ctx, cmd_name):
        """Command names are case-insensitive ('precheck CAS'); options are not ('-Q' is no '-q')."""
        return super().get_command(ctx, cmd_name.lower())

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM/SIGHUP (see main): every sink has been aborted
            _EXITING.append(True)
            click.echo("precheck: interrupted; no report written", err=True)
            sys.exit(130)
        except PrecheckError as exc:
            failure = PrecheckFailure(str(exc))
            failure.exit_code = int(exc.exit_code)
            raise failure from None
        except OSError as exc:
            if exc.errno == 32:  # broken pipe (`| head`) outside a screen's own count (see finish)
                _stdout_gone()
                sys.exit(0 if ctx.invoked_subcommand in INFORMATIONAL else int(ExitCode.INCOMPLETE))
            raise PrecheckFailure(f"{exc.strerror}: {exc.filename}" if exc.filename else str(exc)) from None


CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _version(ctx, _param, value):
    """precheck's version and the version of the shipped watchlist it screens with."""
    if not value or ctx.resilient_parsing:
        return
    import re

    from precursor_check.resources import data_path

    with open(data_path("watchlist.yaml"), encoding="utf-8") as fh:
        head = fh.read(4096)
    found = re.search(r"^watchlist_version:\s*['\"]?([^'\"\s#]+)", head, re.M)
    click.echo(f"precheck {__version__}, watchlist {found.group(1) if found else 'unknown'}")
    ctx.exit()


@click.group(cls=Group, context_settings=CONTEXT)
@click.option("-V", "--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
              help="Show precheck's version and the shipped watchlist's version, then exit.")
def cli():
    """Screen chemicals against drug-precursor watchlists.

    \b
    precheck CAS 79099-07-3
    precheck smiles 'CC(C)(C)OC(=O)N1CCC(=O)CC1.Cl'
    precheck check 79099-07-3 NPP 'O=C1CCN(CCc2ccccc2)CC1'
    precheck watchlist show PC-0018
    precheck index build        # build the offline name/CAS index ahead of the first run

    Shell completion (bash; zsh and fish alike): eval "$(_PRECHECK_COMPLETE=bash_source precheck)"

    Exit codes: 0 nothing at or above --fail-on, 1 a hit, 2 usage error,
    3 the screen could not complete (unresolved/invalid inputs and no hit, nothing screened, unreadable file).
    """
    from precursor_check.identify import localdb

    localdb.BUILD_REPORTER = _announce_index_build


@contextlib.contextmanager
def _announce_index_build(path):
    """The first run builds the offline name/CAS index: a progress bar on a terminal, else one line."""
    what = "building the offline name/CAS index (first run, or a new `chemicals` version; 10-30 s)"
    if not sys.stderr.isatty():
        click.echo(f"precheck: {what}: {path}", err=True)
        yield lambda done, total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn(f"precheck: {what}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("index", total=1)
        yield lambda done, total: bar.update(task, completed=done, total=total)
    click.echo(f"precheck: built the offline name/CAS index: {path}", err=True)


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
                  help=f"Tanimoto similarity at or above which a structure is an analog [default: {DEFAULT_THRESHOLD}].")
    @click.option("--jurisdiction", "jurisdictions", multiple=True, metavar="CODE",
                  help="Only hits under these laws count: UN, US, EU, CA, CN, UK, AU, JP, IN, MX, CWC, AG "
                  "(repeatable or comma-separated).")
    @click.option("--regime", "regimes", multiple=True, metavar="NAME",
                  help="Only hits under these regimes count: drug-precursors, chemical-weapons, "
                  "explosives-precursors (repeatable or comma-separated) [default: all].")
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
    if not values:
        return None
    from precursor_check.watchlist.load import JURISDICTIONS

    out = [j.strip().upper() for v in values for j in v.split(",") if j.strip()]
    for j in out:
        if j not in JURISDICTIONS:
            raise click.BadParameter(f"{j!r} is not one of {', '.join(JURISDICTIONS)}", param_hint="--jurisdiction")
    return out or None


def _regimes(values) -> list[str] | None:
    from precursor_check.model import REGIMES

    out = [r.strip().lower() for v in values for r in v.split(",") if r.strip()]
    for r in out:
        if r not in REGIMES:
            raise click.BadParameter(f"{r!r} is not one of {', '.join(REGIMES)}", param_hint="--regime")
    return out or None


def _as_of(value: str | None) -> str | None:
    if not value:
        return None
    import datetime as dt

    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2024-06-30", param_hint="--as-of") from None


def coverage_notes(get_watchlist, opts: dict) -> None:
    """On stderr (unless -q), for each --jurisdiction whose list is only partly encoded: a `clear`
    under it does not mean that chemical is not listed there. The watchlist is got only then (a
    batch the store of known chemicals answers loads none)."""
    selected = _jurisdictions(opts["jurisdictions"])
    if opts.get("quiet") or not selected:
        return
    watchlist = get_watchlist()
    for j in selected:
        if watchlist.partial(j):
            click.echo(f"precheck: note: {j}: only part of the list is encoded ({watchlist.partial(j)}); "
                       f"`clear` under --jurisdiction {j} does not mean not listed there", err=True)


def make_screener(opts: dict):
    screener = _make_screener(opts)
    coverage_notes(lambda: screener.watchlist, opts)
    return screener


def _make_screener(opts: dict):
    from precursor_check.engines.screener import Screener

    return Screener(
        watchlists=opts["watchlists"],
        replace=opts["replace_watchlist"],
        threshold=opts["threshold"],
        jurisdictions=_jurisdictions(opts["jurisdictions"]),
        as_of=_as_of(opts["as_of"]),
        resolve_files=opts["resolve_files"],
        regimes=_regimes(opts["regimes"]),
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


def _sinks(opts: dict, screener, extra_columns: list[str] | None = None, extra_types: dict | None = None,
           batch: bool = False) -> list:
    """The report (-o/-f) and the side outputs (--report, --audit-log) as pipeline sinks."""
    from precursor_check.io.sinks import AuditSink, HtmlSink, WriterSink

    report_path, audit_path = opts.get("report"), opts.get("audit_log")
    if report_path == "-":
        raise click.BadParameter("give a file name (stdout carries the main report)", param_hint="--report")
    fmt = pick_format(opts.get("fmt"), opts.get("output"))
    sinks = [WriterSink(fmt, opts.get("output"), escape_formulas=not opts.get("raw_csv"), extra_columns=extra_columns,
                        extra_types=extra_types if fmt == Format.PARQUET else None, batch=batch)]
    if audit_path:
        sinks.append(AuditSink(audit_path))
    if report_path:
        sinks.append(HtmlSink(report_path, screener.watchlist))
    return sinks


def finish(summary, opts: dict) -> None:
    """Print the summary (and its notes) on stderr and exit with the code the run earned; a run that
    screened nothing says so even with -q (it exits 3).

    A reader that went away (`| head`, see pipeline.feed) is not "completed, no hit": a hit
    already found is exit 1, else 3."""
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):  # every row was screened and written; the reader left early
        _stdout_gone()
    if not summary.complete:
        _stdout_gone()
    if not opts.get("quiet") or (not summary.rows and summary.empty_is_incomplete):
        for note in summary.notes:
            click.echo(f"precheck: {note}", err=True)
        click.echo(summary.line(), err=True)  # last: scripts read the summary from the last line
    sys.exit(int(summary.exit_code(opts["fail_on"].lower())))


def _queries(values: tuple[str, ...]):
    """Arguments in order; '-' reads one query per line from stdin (blank lines skipped)."""
    for v in values:
        if v == "-":
            for line in _stdin_lines():
                if line.strip():
                    yield line
        else:
            yield v


def _stdin_lines():
    """stdin as lines, ending at \n, \r\n or a lone \r (old Mac files); a byte that is not UTF-8 is
    kept (as Python's surrogate escape) so that its query is reported invalid, not a traceback."""
    import re

    from precursor_check.errors import InputError
    from precursor_check.io.atomic import stdin_buffer

    stream = stdin_buffer()
    pending = b""
    while True:  # (a \r\n split across two reads gives an empty line, which is skipped)
        try:
            chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read stdin: {getattr(exc, 'strerror', None) or exc}") from None
        if not chunk:
            break
        parts = re.split(rb"\r\n|\n|\r", pending + chunk)
        pending = parts.pop()
        for p in parts:
            yield p.decode("utf-8", "surrogateescape").lstrip("\ufeff")
    if pending:
        yield pending.decode("utf-8", "surrogateescape").lstrip("\ufeff")


def _query_command(name: str, input_type: str | None, help_text: str):
    @cli.command(name, help=help_text)
    @click.argument("queries", nargs=-1, required=True)
    @screen_options
    def command(queries, **opts):
        from precursor_check.engines.pipeline import screen_queries

        screener = None
        if input_type in (None, "cas"):  # a watchlist CAS number answered before: no RDKit, no watchlist load
            from precursor_check.engines import answers

            screener = answers.lookup(queries, opts, input_type)
            if screener is None:
                screener = answers.Recording(make_screener(opts), opts, input_type)
        screener = screener or make_screener(opts)
        finish(screen_queries(_queries(queries), screener, input_type, _sinks(opts, screener)), opts)

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
_query_command("inchi", "inchi", """Screen InChI strings (an InChIKey: use `precheck check`).

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
              help="Rows with more heavy atoms are reported unresolved, not screened (0: no cap).")
@click.option("--row-timeout", type=click.FloatRange(0.1), default=10.0, show_default=True,
              help="Seconds a row may take before it is cut off and reported invalid (local engine only).")
@click.option("--engine", type=click.Choice(["local", "dask"], case_sensitive=False), default="local",
              show_default=True, help="dask: Parquet, CSV/TSV, .smi or SDF files (paths, globs, URLs) -> -o DIR of "
              "Parquet parts (needs the dask extra: pip install 'precursor-check[dask]').")
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
    Formats: csv, tsv, jsonl, json, parquet, table (-f, or from -o's extension).
    """
    from precursor_check.engines.batch import ScreenerConfig
    from precursor_check.engines.pipeline import FileRun, feed
    from precursor_check.io.atomic import refuse_overwriting_input

    refuse_overwriting_input([input_path], [opts.get("output"), opts.get("report"), opts.get("audit_log")])

    config = ScreenerConfig(
        watchlists=tuple(opts["watchlists"]), replace=opts["replace_watchlist"], threshold=opts["threshold"],
        jurisdictions=tuple(_jurisdictions(opts["jurisdictions"]) or ()) or None, as_of=_as_of(opts["as_of"]),
        resolve_files=tuple(opts["resolve_files"]), max_atoms=max_atoms or None,
        regimes=tuple(_regimes(opts["regimes"]) or ()) or None)
    if engine.lower() == "dask":
        from precursor_check.engines.dask_engine import screen_dask_file

        ctx = click.get_current_context()
        if not opts.get("quiet") and ctx.get_parameter_source("row_timeout") not in (None, ParameterSource.DEFAULT):
            click.echo("precheck: --row-timeout does not apply with --engine dask (Dask tasks cannot be cut off; "
                       "the --max-atoms cap does apply)", err=True)
        finish(screen_dask_file(input_path, config, column=column, input_type=input_type, input_format=input_format,
                                workers=workers, scheduler=scheduler, output=opts.get("output"),
                                report=opts.get("report"), audit_log=opts.get("audit_log"),
                                fmt=opts.get("fmt")), opts)
    run = FileRun(input_path, config, column=column, input_type=input_type, input_format=input_format,
                  workers=workers, chunk_size=chunk_size, row_timeout=row_timeout, quiet=bool(opts.get("quiet")))
    coverage_notes(lambda: run.screener.watchlist, opts)
    sinks = _sinks(opts, run, extra_columns=run.columns, extra_types=run.arrow_types, batch=True)  # (run.watchlist)
    with _progress(run, opts) as progress:
        summary = feed(run.batches(progress, sinks), sinks, run.summary)
    finish(summary, opts)


@contextlib.contextmanager
def _progress(run, opts: dict):
    """A progress bar on stderr when it is a terminal (rows done; bytes or rows of the input read)."""
    if opts.get("quiet") or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    src = run.source
    by_rows = src.format == "parquet"
    with Progress(TextColumn("screening"), BarColumn(),
                  MofNCompleteColumn() if by_rows else TextColumn("{task.percentage:>3.0f}%"),
                  TextColumn("{task.fields[rows]} rows"), TimeRemainingColumn(), console=Console(stderr=True),
                  transient=True, speed_estimate_period=60) as bar:
        task = bar.add_task("screen", total=src.total, rows=0)
        yield lambda rows, done, total: bar.update(task, completed=done, rows=rows)


# ---------------------------------------------------------------------------------------------
# watchlist


@cli.group("watchlist", cls=Group)
def watchlist_group():
    """Inspect and validate watchlists.

    \b
    precheck watchlist list --jurisdiction US --family fentanyl
    precheck watchlist show PC-0017          # an entry or rule, with its citations
    precheck watchlist stats                 # counts per list, newest effective date, version
    precheck watchlist validate my-list.yaml # schema, structures, CAS, rule examples
    """


def _load_wl(opts):
    from precursor_check.watchlist.load import default_paths, load

    return load(default_paths(tuple(opts["watchlists"]), opts["replace_watchlist"]))


@watchlist_group.command("list")
@watchlist_options
@click.option("--jurisdiction", "jurisdictions", multiple=True, metavar="CODE", help="Only entries listed here.")
@click.option("--regime", "regimes", multiple=True, metavar="NAME",
              help="Only entries listed under this regime: drug-precursors, chemical-weapons, explosives-precursors.")
@click.option("--family", "families", multiple=True, help="Only entries of this drug family (e.g. fentanyl).")
@click.option("--rules/--no-rules", default=True, help="Also list class rules.")
def watchlist_list(jurisdictions, regimes, families, rules, **opts):
    """List entries (and rules): id, name, CAS, lists.

    \b
    precheck watchlist list --jurisdiction US --family fentanyl
    precheck watchlist list --regime chemical-weapons
    """
    wl = _load_wl(opts)
    jur = set(_jurisdictions(jurisdictions) or [])
    reg = set(_regimes(regimes) or [])
    fam = {f.lower() for f in families}

    def keep(item) -> bool:
        if reg and not (set(item.regimes) & reg):
            return False
        if jur and not any(lst.jurisdiction in jur and (not reg or lst.regime in reg) for lst in item.listings):
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
    if item.listings:  # each listing: what put it there, since when, how sure, where to read it
        d["listings"] = [{"list": f"{lst.jurisdiction} {lst.list}", "instrument": lst.instrument or "not recorded",
                          "effective": lst.effective or "not given", "confidence": lst.confidence,
                          "source_url": lst.source_url or "none recorded",
                          **{k: v for k, v in asdict(lst).items() if k not in (
                              "jurisdiction", "list", "instrument", "effective", "confidence", "source_url")
                             and v not in ((), "", None)}} for lst in item.listings]
    click.echo(yaml.safe_dump(d, sort_keys=False, allow_unicode=True, width=100))


@watchlist_group.command("stats")
@watchlist_options
def watchlist_stats(**opts):
    """Counts per regime, jurisdiction and list, newest effective date, version.

    Per regime and jurisdiction: entries listed, legal class rules, the newest effective date,
    and how many of those listings rest on a secondary source only (unverified) or on recollection.

    \b
    precheck watchlist stats
    """
    from precursor_check.model import REGIME_LABELS, REGIMES
    from precursor_check.watchlist.load import JURISDICTIONS

    from precursor_check.wording import count

    wl = _load_wl(opts)
    click.echo(f"watchlist {wl.version}  sha256 {wl.sha256}")
    click.echo(f"entries: {len(wl.entries)} ({sum(e.status == 'controlled' for e in wl.entries)} controlled, "
               f"{sum(e.status == 'watch' for e in wl.entries)} watch); rules: {len(wl.rules)} "
               f"({sum(r.kind == 'legal' for r in wl.rules)} legal, {sum(r.kind == 'alert' for r in wl.rules)} alert)")
    click.echo(f"newest effective date: {wl.newest_effective() or 'unknown'}")
    for reg in REGIMES:
        in_reg = [e for e in wl.entries if reg in e.regimes]
        if not in_reg and not any(reg in r.regimes for r in wl.rules):
            continue
        click.echo(f"\n{REGIME_LABELS[reg]} ({reg}): {count(len(in_reg), 'entry', 'entries')}")
        for j in JURISDICTIONS:
            lists: dict[str, int] = {}
            dates, doubt = [], {}
            for e in wl.entries:
                mine = [lst for lst in e.listings if lst.jurisdiction == j and lst.regime == reg]
                for name in dict.fromkeys(lst.list for lst in mine):
                    lists[name] = lists.get(name, 0) + 1
                dates += [lst.effective for lst in mine if lst.effective]
                for lst in mine:
                    if lst.confidence != "confirmed":
                        doubt[lst.confidence] = doubt.get(lst.confidence, 0) + 1
            rules = [r for r in wl.rules if r.kind == "legal"
                     and any(lst.jurisdiction == j and lst.regime == reg for lst in r.listings)]
            total = sum(any(lst.jurisdiction == j and lst.regime == reg for lst in e.listings) for e in wl.entries)
            if not total and not rules:
                continue
            for lst in (x for r in rules for x in r.listings if x.jurisdiction == j and x.regime == reg):
                if lst.effective:
                    dates.append(lst.effective)
                if lst.confidence != "confirmed":
                    doubt[lst.confidence] = doubt.get(lst.confidence, 0) + 1
            extra = [count(len(rules), "class rule")] if rules else []
            extra.append(f"newest effective {max(dates) if dates else 'unknown'}")
            extra += [f"{n} {c}" for c, n in sorted(doubt.items())]
            click.echo(f"{j}: {count(total, 'entry', 'entries')} ({', '.join(extra)})"
                       + "".join(f"\n  {k}: {v}" for k, v in sorted(lists.items())))


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

    from precursor_check.io.atomic import refuse_overwriting_input

    refuse_overwriting_input([results_path], [output])
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
    """Check audit logs written with --audit-log / PRECHECK_AUDIT_LOG.

    \b
    precheck check NPP 79099-07-3 --audit-log audit.jsonl
    precheck audit verify audit.jsonl        # well formed? span, counts per verdict and user
    """


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


@cli.group("index", cls=Group)
def index_group():
    """The offline name/CAS index (built from the `chemicals` package on first use).

    \b
    precheck index build           # ahead of time: CI images, containers, a shared cache
    PRECHECK_CACHE_DIR=/opt/precheck-cache precheck index build
    """


@index_group.command("build")
@click.option("--force", is_flag=True, help="Rebuild even if the index is there.")
@click.option("--known/--no-known", default=True, show_default=True,
              help="Also screen every chemical of the index once for the default options, so that CAS batches "
                   "look results up (docs/known-chemicals.md; about a minute on 2 cores).")
@click.option("--workers", "-j", type=click.IntRange(0), default=None,
              help="Worker processes for --known [default: all cores].")
def index_build(force, known, workers):
    """Build the offline name/CAS index and compile the shipped watchlist, into the user cache
    (or PRECHECK_CACHE_DIR), so that the first screen does not wait for them.

    \b
    precheck index build
    """
    from precursor_check.identify import localdb
    from precursor_check.watchlist.compile import load_compiled
    from precursor_check.watchlist.load import default_paths

    import time

    path = localdb.default_path()
    if path is None:
        raise PrecheckError("the `chemicals` package is not installed: no offline name/CAS index to build")
    t0 = time.perf_counter()
    if force or not path.exists():
        with _announce_index_build(path) as progress:
            localdb.build(path, progress)
        state = "built"
    else:
        state = "up to date"
    load_compiled(default_paths((), False), use_cache=True)
    click.echo(f"precheck: index {state}: {path} ({path.stat().st_size / 1e6:.1f} MB; "
               f"{time.perf_counter() - t0:.1f} s); watchlist compiled", err=True)
    if known:  # the CAS numbers of the index screened once for the default options
        from precursor_check.engines import known_build
        from precursor_check.engines.batch import ScreenerConfig

        store = known_build.announced(ScreenerConfig(), workers=workers, force=force,
                                      why="known chemicals for the default options")
        if store is not None:
            click.echo(f"precheck: known chemicals ready: {store}", err=True)


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
    from precursor_check.errors import InputError
    from precursor_check.io.atomic import refuse_overwriting_input

    refuse_overwriting_input([source], [opts.get("output"), opts.get("report"), opts.get("audit_log")])
    try:
        if source == "-":
            from precursor_check.io.atomic import stdin_buffer

            text = stdin_buffer().read().decode("utf-8-sig")
        else:
            with open(source, encoding="utf-8-sig", newline="") as fh:
                text = fh.read()
    except FileNotFoundError:
        raise InputError(f"cannot read {source}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {source}: {exc}; give a UTF-8 text file") from None
    from precursor_check.engines.pipeline import TEXT_COLUMNS, scan_text

    screener = make_screener(opts)
    finish(scan_text(text, screener, sinks=_sinks(opts, screener, extra_columns=TEXT_COLUMNS)), opts)


_EXITING = []  # set once an interrupt has reached the command's handler (Group.invoke): the run is ending


def _interrupt(signum, frame):
    if isinstance(sys.exc_info()[1], KeyboardInterrupt):
        return  # sent again while the first one is being handled (cleanup): one is enough
    raise KeyboardInterrupt


def _unraisable(hook):
    """sys.unraisablehook that sends an interrupt again when Python swallowed it: a signal handler
    runs between any two bytecodes, and one that lands in a finaliser or a weakref callback (the
    import system's module locks have one) raises where Python only prints "Exception ignored"
    and goes on. Sent again, it is raised outside that callback."""

    def handle(unraisable) -> None:
        if unraisable.exc_type is not None and issubclass(unraisable.exc_type, KeyboardInterrupt):
            import _thread
            import signal

            _thread.interrupt_main(signal.SIGTERM)  # runs `_interrupt` at the next bytecode
            return
        hook(unraisable)

    return handle


def _take_ctrl_c() -> None:
    """Ctrl-C (SIGINT) taken by a thread that waits for it, and passed to the main thread as SIGTERM.

    RDKit's substructure search puts its own SIGINT handler in place while it runs (2026.09,
    ControlCHandler): a Ctrl-C that lands then only cuts that search short ("result may not
    include all matches") and never reaches Python, so the run went on. Blocked in every thread
    and taken with sigwait, SIGINT meets no handler at all; the main thread gets SIGTERM instead,
    whose handler (`_interrupt`) RDKit leaves alone. Threads and worker processes started later
    inherit the block. Not done when SIGINT is ignored (a background job): it stays ignored."""
    import signal

    if not hasattr(signal, "pthread_sigmask") or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return
    import threading

    main_thread = threading.get_ident()

    def wait() -> None:
        import time

        signal.sigwait({signal.SIGINT})
        # sent again until the run ends: a signal whose handler runs just before the main thread
        # blocks in a read (stdin) is taken but raises nothing until the read returns
        while not _EXITING:
            try:
                signal.pthread_kill(main_thread, signal.SIGTERM)
            except (OSError, ProcessLookupError):
                return
            time.sleep(0.5)

    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    threading.Thread(target=wait, name="precheck-ctrl-c", daemon=True).start()


def main():
    """The `precheck` command. SIGTERM and SIGHUP (a closed terminal or ssh session) stop a run like
    Ctrl-C: workers down, no partial report, exit 130 -- in every command."""
    import signal

    from precursor_check.io.atomic import guard_std_streams
    from precursor_check.resources import remove_unfinished

    guard_std_streams()  # a closed stdin/stdout/stderr: /dev/null on its descriptor, one line if used
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _interrupt)
    _take_ctrl_c()
    sys.unraisablehook = _unraisable(sys.unraisablehook)
    try:
        cli(prog_name="precheck")
    finally:  # a report's temp file that an interrupt left between two bytecodes (see resources.replacing)
        remove_unfinished()


if __name__ == "__main__":
    main()
