"""Property-based fuzzing of every front door (issue 14): the invariants, not examples.

Front doors: the six query types, the CSV/TSV/.smi/SDF/Parquet readers, the watchlist loader,
the report reader, the free-text scanner, and a few runs of the real binary.

Invariants: one record per input; exit code in {0, 1, 2, 3}; never a traceback (only precheck's
own one-line errors); no `clear` unless the whole structure was screened; no input unescaped in
HTML; every input finishes within a generous bound (a hang detector, not a speed test).

Profiles (docs/testing.md): the default `ci` profile runs in well under a minute;
`HYPOTHESIS_PROFILE=release` runs ~30x more examples per door, for a release.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import string
import subprocess

import pytest

hypothesis = pytest.importorskip("hypothesis")
from conftest import FIXTURE, MINI, precheck_bin  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from precursor_check.errors import PrecheckError  # noqa: E402
from precursor_check.model import Verdict  # noqa: E402

settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                                 HealthCheck.data_too_large])
settings.register_profile("release", max_examples=800, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                                 HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

BOUND = float(os.environ.get("PRECHECK_FUZZ_BOUND", "60"))  # seconds one input may take: catches hangs only


@contextlib.contextmanager
def bounded(seconds: float = BOUND):
    """Fail (not hang) when one input takes longer than `seconds`: a quadratic or exponential case."""
    def expire(signum, frame):
        raise AssertionError(f"one input took more than {seconds:g} s (a hang or a quadratic case)")

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# -- strategies ---------------------------------------------------------------------------------------

SMILES_ALPHABET = "CNOSPFIclBrnos()[]=#@+-123456789%./\\ H"
TYPOGRAPHIC = "\u2010\u2011\u2013\u2014\u2212\uff0d\uff1a\u3000\u00a0\uff10\uff17\uff19"

smiles_like = st.text(alphabet=SMILES_ALPHABET, min_size=0, max_size=60)
real_smiles = st.sampled_from([
    "O=C1CCN(CCc2ccccc2)CC1", "CC(C)(C)OC(=O)N1CCC(=O)CC1", "CC(=O)Cc1ccccc1", "CCO", "c1ccccc1", "Cl",
    "O=C1CCN(CCc2ccccc2)CC1.Cl", "C[C@H]([C@H](c1ccccc1)O)N", "CC(=Cc1ccccc1)[N+](=O)[O-]", "[Na+].[Cl-]",
])
cas_like = st.one_of(
    st.from_regex(r"\A(CAS[ :#]?)?\d{2,7}-\d{2}-\d\Z"),
    st.sampled_from(["79099-07-3", "７９０９９－０７－３", "CAS：79099-07-3", "79099\u201307\u20133", "1609-66-5",
                     "CAS79099", "0000-00-0", "99999999999"]),
)
words = st.sampled_from(["hydrochloride", "alpha", "ethyl", "NPP", "BOC", "acetone", "4-methyl", "salt",
                         "ethyl acetate", "N-Boc-4-piperidone", "sodium", "P2P", "methyl ethyl ketone"])
nasty = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
any_query = st.one_of(
    smiles_like, real_smiles, cas_like, words, nasty,
    st.builds(lambda a, sep, b: a + sep + b, real_smiles, st.sampled_from([" ", "\t", "  ", " |$;$| ", "\n"]),
              real_smiles),
    st.builds(lambda n, tail: "C" * n + tail, st.integers(380, 430), st.sampled_from(["", "N1CCC(=O)CC1", "O"])),
    st.builds(lambda s, t: "".join(t if ch == "-" else ch for ch in s), cas_like, st.sampled_from(TYPOGRAPHIC)),
)
INPUT_TYPES = [None, "cas", "smiles", "inchi", "inchikey", "name"]


@pytest.fixture(scope="module")
def screener():
    from precursor_check import Screener

    return Screener(watchlists=[FIXTURE], replace=True, opsin=False)  # OPSIN (Java) is tested elsewhere


def _whole_heavy_atoms(smiles: str) -> int | None:
    from rdkit import Chem

    from precursor_check.chemistry.molecules import whole_smiles

    whole, _why = whole_smiles(smiles)
    mol = Chem.MolFromSmiles(whole) if whole else None
    return None if mol is None else mol.GetNumHeavyAtoms()


def _check_result(r, query: str) -> None:
    assert isinstance(r.verdict, Verdict)
    if r.verdict in (Verdict.INVALID, Verdict.UNRESOLVED):
        assert r.error, r  # a reason, always
    if r.verdict is Verdict.CLEAR:
        from precursor_check.chemistry.molecules import MAX_HEAVY_ATOMS

        assert r.smiles, r  # a clear structure is a known structure
        from rdkit import Chem

        mol = Chem.MolFromSmiles(r.smiles.replace(" ", "."))
        assert mol is not None, r
        parts = Chem.GetMolFrags(mol, asMols=True)
        assert all(p.GetNumHeavyAtoms() <= MAX_HEAVY_ATOMS for p in parts), r  # screened in full
        if r.input_type == "smiles" and r.source and r.source.startswith("input"):
            # the whole input was screened: nothing of it was dropped as a title
            assert _whole_heavy_atoms(query.strip()) == mol.GetNumHeavyAtoms(), (query, r.smiles)


# -- the six query types --------------------------------------------------------------------------------


@given(query=any_query, input_type=st.sampled_from(INPUT_TYPES))
def test_queries(screener, query, input_type):
    with bounded():
        r = screener.screen(query, input_type=input_type)
    _check_result(r, query)
    from precursor_check.identify.resolve import generic_name

    if r.input_type == "name" and generic_name(query) and r.verdict is not Verdict.CONTROLLED:
        assert r.verdict is Verdict.UNRESOLVED and r.smiles is None


@given(queries=st.lists(any_query, min_size=1, max_size=6), cmd=st.sampled_from(["check", "cas", "smiles", "inchi",
                                                                                 "name"]))
def test_query_commands_in_process(queries, cmd):
    from click.testing import CliRunner

    from precursor_check.cli import cli

    queries = [q for q in queries if q.strip() and not q.startswith("-") and "\x00" not in q] or ["CCO"]
    with bounded():
        res = CliRunner().invoke(cli, [cmd, *queries, *MINI, "-f", "jsonl", "-q"], catch_exceptions=True)
    assert res.exit_code in (0, 1, 2, 3), res.output
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    if res.exit_code != 2:
        recs = [json.loads(line) for line in res.stdout.splitlines() if line.strip()]
        assert len(recs) == len(queries)  # one record per input, in order
        assert [r["row"] for r in recs] == list(range(1, len(queries) + 1))


# -- readers --------------------------------------------------------------------------------------------

cell = st.one_of(cas_like, real_smiles, st.text(alphabet=string.ascii_letters + string.digits + " =+-@\"',\t\r\n",
                                                       max_size=12))


@given(rows=st.lists(st.lists(cell, min_size=1, max_size=4), min_size=1, max_size=12),
       delimiter=st.sampled_from([",", "\t"]), newline=st.sampled_from(["\n", "\r\n", "\r"]),
       bom=st.booleans())
def test_csv_and_tsv_readers(tmp_path_factory, rows, delimiter, newline, bom):
    import csv

    from precursor_check.io.readers import open_input

    if newline == "\r":  # a classic Mac file cannot hold a line break inside a cell
        rows = [[c.replace("\r", " ").replace("\n", " ") for c in r] for r in rows]
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator=newline)
    w.writerow(["id", "cas"])
    data = [[str(i), *r] for i, r in enumerate(rows, start=1)]
    w.writerows(data)
    f = tmp_path_factory.mktemp("csv") / ("in.tsv" if delimiter == "\t" else "in.csv")
    f.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))
    with bounded():
        try:
            src = open_input(str(f), column="cas")
            got = list(src.rows())
        except PrecheckError:
            return  # one line, exit 3 (e.g. an unreadable file); never a traceback
    assert len(got) == len(data)  # one row out per row in
    for values, sent in zip(got, data):
        assert values[src.index] == sent[1]  # the query is the cell under its header, never glued


@given(blocks=st.lists(st.tuples(real_smiles, st.dictionaries(st.sampled_from(["CAS", "name", "id", "<x>"]),
                                                             st.text(max_size=10).filter(lambda s: "$$$$" not in s
                                                                                          and "\n" not in s),
                                                             max_size=3)), min_size=1, max_size=5),
       junk=st.text(max_size=40))
def test_sdf_reader(tmp_path_factory, blocks, junk):
    from rdkit import Chem

    from precursor_check.io.readers import open_input

    text = ""
    for smi, data in blocks:
        text += Chem.MolToMolBlock(Chem.MolFromSmiles(smi))
        for k, v in data.items():
            text += f">  <{k}>\n{v}\n\n"
        text += "$$$$\n"
    f = tmp_path_factory.mktemp("sdf") / "in.sdf"
    f.write_text(text + junk, encoding="utf-8")
    with bounded():
        try:
            rows = list(open_input(str(f)).rows())
        except PrecheckError:
            return
    assert len(rows) >= len(blocks)


@given(values=st.lists(st.one_of(st.none(), st.integers(-2**40, 2**40), st.floats(allow_nan=True),
                                 st.text(max_size=8), st.binary(max_size=6), st.dates(), st.datetimes(),
                                 st.times(), st.decimals(allow_nan=False, allow_infinity=False, places=2,
                                                         min_value=-1000, max_value=1000)),
                       min_size=1, max_size=6),
       dup=st.booleans(), fmt=st.sampled_from(["jsonl", "json", "csv", "parquet"]))
def test_parquet_reader_and_every_format(tmp_path_factory, values, dup, fmt):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    from click.testing import CliRunner

    from precursor_check.cli import cli

    try:
        col = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        col = pa.array([None if v is None else str(v) for v in values])
    cas = pa.array(["79099-07-3"] * len(values))
    table = pa.Table.from_arrays([cas, col, col] if dup else [cas, col], names=["cas", "x", "x"] if dup else
                                 ["cas", "x"])
    d = tmp_path_factory.mktemp("pq")
    pq.write_table(table, d / "in.parquet")
    out = d / f"out.{fmt}"
    with bounded():
        res = CliRunner().invoke(cli, ["screen", str(d / "in.parquet"), *MINI, "-j", "0", "-q", "-o", str(out)])
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    assert res.exit_code == 1, res.output  # every row is the listed CAS
    if fmt == "jsonl":
        recs = [json.loads(line) for line in out.read_text().splitlines()]
        assert len(recs) == len(values) and all(r["verdict"] == "controlled" for r in recs)
        assert ("x_2" in recs[0]) == dup
    elif fmt == "json":
        assert len(json.loads(out.read_text())["results"]) == len(values)
    elif fmt == "parquet":
        assert pq.read_table(out).num_rows == len(values)


# -- the watchlist loader --------------------------------------------------------------------------------

yaml_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8), st.sampled_from(
    ["CCO", "79099-07-3", "US", "List I", "2024-02-30", "*", "true", "legal", "alert"]))
yaml_value = st.recursive(yaml_scalar, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                              st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                          max_leaves=8)
entry_keys = st.sampled_from(["id", "name", "cas", "smiles", "other_cas", "listings", "synonyms", "status",
                              "similarity", "families", "also_smiles"])
rule_keys = st.sampled_from(["id", "kind", "name", "smarts", "exclude_smarts", "examples", "listings", "entries"])


@given(top=st.dictionaries(st.sampled_from(["entries", "rules", "include", "title", "listings", "regime"]),
                           yaml_value, max_size=3),
       entry=st.dictionaries(entry_keys, yaml_value, max_size=5), rule=st.dictionaries(rule_keys, yaml_value,
                                                                                      max_size=5),
       raw_tail=st.text(max_size=30))
def test_watchlist_loader(tmp_path_factory, top, entry, rule, raw_tail):
    import yaml

    from precursor_check.watchlist.load import load

    d = tmp_path_factory.mktemp("wl")
    doc = {"schema_version": 1, "watchlist_version": "x", **top}
    doc.setdefault("entries", [{"id": "X-1", "name": "x", "smiles": "CCO", **entry}])
    doc.setdefault("rules", [{"id": "R-1", "kind": "alert", "name": "r", "smarts": ["CC"], **rule}])
    texts = [yaml.safe_dump(doc, allow_unicode=True), yaml.safe_dump(doc) + raw_tail]
    for i, text in enumerate(texts):
        f = d / f"w{i}.yaml"
        f.write_text(text, encoding="utf-8")
        with bounded():
            try:
                load([f])
            except PrecheckError as exc:
                assert "\n" not in str(exc).strip()  # one line


# -- the report reader and HTML escaping ----------------------------------------------------------------

INJECT = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def good_record():
    from precursor_check import Screener

    r = Screener(watchlists=[FIXTURE], replace=True, opsin=False).screen("79099-07-3")
    return {**r.to_dict(), "tool_version": "t", "watchlist_version": "w", "watchlist_sha256": "s"}


json_value = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                                    st.text(max_size=8), st.just(INJECT)),
                          lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                  st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                          max_leaves=6)


@given(field=st.sampled_from(["verdict", "hits", "input", "smiles", "error", "row", "removed", "input_type",
                              "hit.id", "hit.name", "hit.score", "hit.lists", "hit.reason", "hit.atoms",
                              "hit.families", "hit.match", "hit.fragment", "lst.citation", "lst.jurisdiction"]),
       value=json_value)
def test_report_reader_and_escaping(good_record, field, value):
    import copy

    from precursor_check.io.formats.html import read_results, render
    from precursor_check.watchlist.load import load

    rec = copy.deepcopy(good_record)
    rec["input"] = INJECT  # the input itself is never written unescaped
    target = rec
    if field.startswith("hit."):
        target, field = rec["hits"][0], field[4:]
    elif field.startswith("lst."):
        target, field = rec["hits"][0]["lists"][0], field[4:]
    target[field] = value
    out = io.StringIO()
    with bounded():
        try:
            render(read_results([json.dumps(rec) + "\n"], "fuzz"), out, load([FIXTURE]))
        except PrecheckError as exc:
            assert "\n" not in str(exc).strip()
            return
    assert INJECT not in out.getvalue()


# -- the free-text scanner ----------------------------------------------------------------------------------


@given(text=st.lists(st.one_of(nasty, cas_like, words, real_smiles, st.sampled_from(["(" * 300, ")" * 300, "`",
                                                                                     "\r", "\n", "\r\n", " "])),
                     max_size=12).map("".join))
def test_text_scanner(screener, text):
    from precursor_check.engines.pipeline import _LINE_BREAK, iter_scan_text

    lines = _LINE_BREAK.split(text)
    with bounded():
        results = list(iter_scan_text(text, screener))
    for r in results:
        _check_result(r, r.input)
        x = r.extra
        assert lines[x["line"] - 1][x["start"]:x["end"]] == x["text"]  # the span is where it says


# -- the real binary: a few whole runs -------------------------------------------------------------------


@settings(max_examples=int(os.environ.get("PRECHECK_FUZZ_BINARY", "4")))
@given(queries=st.lists(any_query.filter(lambda q: "\x00" not in q and q.strip() and not q.startswith("-")),
                        min_size=1, max_size=4))
def test_real_binary(queries):
    p = subprocess.run([precheck_bin(), "check", *queries, *MINI, "-f", "jsonl", "-q"], capture_output=True,
                       text=True, timeout=300)
    assert p.returncode in (0, 1, 3), p.stderr
    assert "Traceback" not in p.stderr
    assert len([line for line in p.stdout.splitlines() if line.strip()]) == len(queries)


@settings(max_examples=int(os.environ.get("PRECHECK_FUZZ_BINARY", "4")))
@given(data=st.binary(max_size=200))
def test_real_binary_on_bytes(tmp_path_factory, data):
    f = tmp_path_factory.mktemp("bin") / "in.csv"
    f.write_bytes(b"id,cas\n" + data)
    for args in (["screen", str(f), "-j", "0"], ["text", str(f)], ["check", "-"]):
        p = subprocess.run([precheck_bin(), *args, *MINI, "-f", "jsonl", "-q"], input=data, capture_output=True,
                           timeout=300)
        assert p.returncode in (0, 1, 2, 3)
        assert b"Traceback" not in p.stderr, p.stderr.decode("utf-8", "replace")
