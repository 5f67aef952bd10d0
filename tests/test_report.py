"""The HTML report (--report, `precheck report`): content, size, self-containment, a real browser."""

from __future__ import annotations

import functools
import io
import json
import os
import re
import shutil
import subprocess

import pytest
from conftest import FIXTURE, MINI
from conftest import cli_run as run  # in process: the binary is not the point here

from precursor_check.io.formats import html as H

FLAGGED = ["79099-07-3",  # controlled, exact
           "COC(=O)N1CCC(=O)CC1",  # controlled, class rule
           "O=C1CCN(Cc2ccccc2)CC1",  # watch
           "CC(=Cc1ccc(Cl)cc1)[N+](=O)[O-]",  # analog, alert rule
           "O=C1CCN(CCCc2ccccc2)CC1",  # analog, similarity (NPP one CH2 longer)
           "NPP.HCl"]  # controlled, salt, by abbreviation
OTHER = ["CCO", "99990-00-8", "1609-66-5"]  # clear, unresolved (a CAS in no source), invalid


@pytest.fixture(scope="module")
def screener():
    """The fixture watchlist without OPSIN (unknown names would start Java for each)."""
    from precursor_check import Screener

    return Screener(watchlists=[FIXTURE], replace=True, opsin=False)


@functools.lru_cache(maxsize=1)
def find_chromium() -> tuple[str | None, str]:
    """(path of a Chromium that runs, else None; why not). A found binary must answer --version:
    Ubuntu's `chromium-browser` is a snap shim that exists but cannot run without snapd."""
    broken = []
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if not path:
            continue
        try:
            p = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            broken.append(f"{path}: {exc}")
            continue
        if p.returncode == 0:
            return path, ""
        broken.append(f"{path} --version exited {p.returncode}: {(p.stderr or p.stdout).strip()[:200]}")
    if broken:
        return None, "chromium is installed but does not run (" + "; ".join(broken) + ")"
    return None, "chromium is not installed (Debian: apt-get install chromium; CI runs .ci/install-chromium.sh)"


def chromium() -> str | None:
    return find_chromium()[0]


NO_CHROMIUM = find_chromium()[1]


def cas(digits: str) -> str:
    """A CAS number with a valid check digit."""
    check = sum(i * int(d) for i, d in enumerate(reversed(digits), start=1)) % 10
    return f"{digits[:-2]}-{digits[-2:]}-{check}"


def render_live(screener, queries, **kw) -> str:
    out = io.StringIO()
    rep = H.HtmlReport(out, screener.watchlist, **kw)
    rep.begin({"tool_version": "t", "watchlist_version": screener.watchlist.version,
               "watchlist_sha256": screener.watchlist.sha256})
    for r in screener.screen_many(queries):
        rep.add(r.to_dict())
    rep.end()
    return out.getvalue()


def body_rows(page: str) -> list[str]:
    return re.findall(r"<tr data-row=.*?</tr>", page, re.S)


def test_summary_rows_and_details(screener):
    page = render_live(screener, FLAGGED + OTHER + ["zzqx-unknown-chemical", "<img src=x onerror=alert(1)>"])
    assert "<td class='num' id='count-controlled'>3</td>" in page
    assert "<td class='num' id='count-watch'>1</td>" in page and "<td class='num' id='count-analog'>2</td>" in page
    assert "id='count-clear'>1<" in page and "id='count-unresolved'>3<" in page and "id='count-invalid'>1<" in page
    assert screener.watchlist.sha256 in page and "test-1" in page and "generated" in page
    rows = body_rows(page)
    assert len(rows) == 6  # flagged only; clear/unresolved/invalid are summarised
    assert [re.search(r"data-verdict='(\w+)'", r).group(1) for r in rows] == \
        ["controlled", "controlled", "watch", "analog", "analog", "controlled"]
    exact, rule, watch, alert, similar, salt = rows
    assert "T-BOCPIP" in exact and "FR Doc 2025-19349" in exact and "1.00" in exact
    assert "T-R-4PIP-CARB" in rule and "88 FR 21902" in rule and "class rule matched" in rule
    assert "data-jur=' US '" in rule and "data-fam=' fentanyl '" in rule
    assert "T-NPP" in similar and "maximum common substructure" in similar and "0.80" in similar
    assert "removed: hydrochloride" in salt
    # every flagged row has two depictions, each drawn once as a symbol and used by reference
    for r in rows:
        assert r.count("<use href='#m") == 2
    assert page.count("<symbol ") == len(set(re.findall(r"<use href='#(m\d+)'", page)))
    # unresolved / invalid listed as text, hostile input escaped
    assert "zzqx-unknown-chemical" in page and "99990-00-8" in page and "1609-66-5" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img" not in page


def test_highlights_are_the_rule_match_and_the_mcs(screener):
    from rdkit import Chem

    rule = screener.watchlist.rule("T-R-4PIP-CARB")
    pat = Chem.MolFromSmarts(rule.smarts[0])
    mol = Chem.MolFromSmiles("COC(=O)N1CCC(=O)CC1")
    match = mol.GetSubstructMatch(pat)
    assert H._rule_atoms(mol, [pat], match) == match  # Hit.atoms used when they are a match in the drawing
    assert set(H._rule_atoms(mol, [pat], (0, 1, 2))) == set(match)  # otherwise re-matched, never wrong atoms
    a, b, _ = H._mcs(Chem.MolFromSmiles("O=C1CCN(CCc2ccc(F)cc2)CC1"), Chem.MolFromSmiles("O=C1CCN(CCc2ccccc2)CC1"), 1)
    assert len(a) == len(b) == 15  # everything but the fluorine
    svg = H.svg_of(mol, match)
    assert "<path" in svg and "<?xml" not in svg and "<svg" not in svg


def test_self_contained_no_network(screener):
    page = render_live(screener, FLAGGED)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    for needle in ("http://", "https://", "<link", " src=", "@import", "url(", "@font-face"):
        assert needle not in page, needle


def test_large_batch_is_summarised_and_small(screener):
    unknown = [c for c in (cas(f"99{i:03d}11") for i in range(600))  # well-formed CAS numbers in no source
               if screener.screen(c).verdict.value == "unresolved"][:500]
    queries = ["CCO"] * 3000 + unknown + ["79099-07-3"] * 200
    page = render_live(screener, queries, max_listed=100)
    assert "id='count-clear'>3,000<" in page and "id='count-unresolved'>500<" in page
    assert "(first 100 listed)" in page and page.count("<code>99") == 100
    assert len(body_rows(page)) == 200
    assert page.count("<symbol ") <= 2  # 200 identical rows: drawn once (input and entry even share one)
    assert len(page) < 500_000  # ~1.6 kB of text per flagged row, the pictures once


def test_depiction_limit(screener):
    page = render_live(screener, ["79099-07-3", "O=C1CCN(Cc2ccccc2)CC1", "NPP"], max_drawn=1)
    assert page.count("<use href=") == 2 and "not drawn (over the depiction limit)" in page
    assert "2 flagged rows are listed without depictions" in page


def test_cli_report_and_report_from_jsonl(tmp_path):
    html, jsonl = tmp_path / "live.html", tmp_path / "results.jsonl"
    p = run("check", *FLAGGED, *OTHER, *MINI, "-q", "-f", "jsonl", "-o", jsonl, "--report", html)
    assert p.returncode == 1, p.stderr
    live = html.read_text(encoding="utf-8")
    assert len(body_rows(live)) == 6
    again = tmp_path / "again.html"
    p = run("report", jsonl, "-o", again, *MINI)
    assert p.returncode == 0, p.stderr
    saved = again.read_text(encoding="utf-8")
    strip = lambda s: re.sub(r"<tr><th>(generated|results)</th>.*?</tr>", "", s)  # noqa: E731
    assert strip(saved) == strip(live)  # the same report, entry structures looked up by hit id
    # a different watchlist than the one the results came from: said so at the top
    p = run("report", jsonl, "-o", again)
    assert p.returncode == 0 and "entry structures are drawn from watchlist" in again.read_text(encoding="utf-8")
    # from stdin, to stdout; and -f json output is accepted too
    p = run("report", "-", *MINI, input=jsonl.read_text())
    assert p.returncode == 0 and len(body_rows(p.stdout)) == 6
    js = run("check", *FLAGGED, *MINI, "-q", "-f", "json").stdout
    p = run("report", "-", *MINI, input=js)
    assert p.returncode == 0 and len(body_rows(p.stdout)) == 6


def test_cli_report_errors(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"verdict": "clear"}\nnot json\n')
    p = run("report", bad, "-o", tmp_path / "r.html", *MINI)
    assert p.returncode == 3 and "line 2 is not JSON" in p.stderr and not (tmp_path / "r.html").exists()
    assert run("report", tmp_path / "missing.jsonl", *MINI).returncode == 3
    p = run("cas", "79099-07-3", *MINI, "--report", tmp_path / "no" / "dir" / "r.html")
    assert p.returncode == 3
    assert run("cas", "79099-07-3", *MINI, "--report", "-").returncode == 2


def test_batch_screen_command_gets_the_report(tmp_path):
    src = tmp_path / "orders.csv"
    src.write_text("id,cas\n1,79099-07-3\n2,64-17-5\n")
    html = tmp_path / "r.html"
    p = run("screen", src, *MINI, "-q", "-j", "0", "-f", "jsonl", "--report", html)
    assert p.returncode == 1, p.stderr
    assert len(body_rows(html.read_text(encoding="utf-8"))) == 1


# ---------------------------------------------------------------------------------------------
# a real browser


def dump_dom(browser: str, path, fragment: str, tmp_path) -> tuple[str, str]:
    url = path.resolve().as_uri() + fragment
    p = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-extensions",
                        "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr",
                        "--v=0", "--dump-dom", url],
                       capture_output=True, text=True, timeout=120, env={**os.environ, "LANG": "C.UTF-8"})
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout, p.stderr


@pytest.mark.skipif(chromium() is None, reason=NO_CHROMIUM)
@pytest.mark.slow
def test_report_in_headless_chromium(tmp_path):
    html, jsonl = tmp_path / "report.html", tmp_path / "r.jsonl"
    p = run("check", *FLAGGED, *OTHER, *MINI, "-q", "-f", "jsonl", "-o", jsonl, "--report", html)
    assert p.returncode == 1, p.stderr
    browser = chromium()

    dom, log = dump_dom(browser, html, "", tmp_path)
    status = re.search(r'<span id="precheck-status"([^>]*)>', dom)
    assert status, dom[-2000:]
    attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', status.group(1)))
    assert attrs["data-status"] == "ok", (attrs, log[-2000:])
    assert attrs["data-rows"] == "6" and attrs["data-visible"] == "6"
    assert "Uncaught" not in log and "CONSOLE" not in log.upper().replace("CONSOLE_", "")
    assert dom.count("<use href=") == 12

    # the filters and the sort, driven through the address (#verdict=...&sort=...)
    dom, log = dump_dom(browser, html, "#verdict=analog", tmp_path)
    assert 'data-visible="2"' in dom and "Uncaught" not in log
    dom, _ = dump_dom(browser, html, "#list=US&family=fentanyl", tmp_path)
    visible = [r for r in re.findall(r"<tr data-row=[^>]*>", dom) if " hidden" not in r]
    assert visible and all("US" in r and "fentanyl" in r for r in visible)
    dom, _ = dump_dom(browser, html, "#sort=-score", tmp_path)
    assert 'data-sort="score:desc"' in dom
    scores = [float(s) for s in re.findall(r'<tr data-row="\d+"[^>]*data-score="([\d.]+)"', dom)]
    assert scores == sorted(scores, reverse=True) and scores
    dom, _ = dump_dom(browser, html, "#q=T-BOCPIP", tmp_path)  # search is case-insensitive
    assert 'data-visible="1"' in dom


@pytest.mark.skipif(chromium() is None, reason=NO_CHROMIUM)
@pytest.mark.slow
def test_browser_status_marker_catches_script_errors(tmp_path):
    """The marker is not decorative: a broken script leaves data-status="error"."""
    out = io.StringIO()
    rep = H.HtmlReport(out)
    rep.begin({"tool_version": "t", "watchlist_version": "w", "watchlist_sha256": "s"})
    rep.end()
    page = out.getvalue().replace("var st=document.getElementById", "null.boom();var st=document.getElementById")
    path = tmp_path / "broken.html"
    path.write_text(page, encoding="utf-8")
    dom, _ = dump_dom(chromium(), path, "", tmp_path)
    assert 'data-status="error"' in dom and "script error" in dom


def test_read_results_rejects_non_results():
    with pytest.raises(Exception, match="not a precheck result"):
        list(H.read_results([json.dumps({"x": 1}) + "\n"], "t"))
    assert list(H.read_results(["\n", ""], "t")) == []


def test_fixture_path_exists():
    assert FIXTURE.exists()


def test_ring_substituted_variant_is_drawn_against_its_entry(screener):
    page = render_live(screener, ["CC(=O)Cc1ccc(F)cc1"])  # 4-fluoro P2P: a variant of the entry T-P2P
    (row,) = body_rows(page)
    assert "T-P2P" in row and "the listed structure inside the input" in row
    assert row.count("<use href='#m") == 2  # both structures drawn
