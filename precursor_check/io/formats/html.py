"""Self-contained HTML report: summary, a sortable/filterable table of flagged inputs with depictions.

One file, no network: RDKit SVG depictions are inlined (each distinct picture once, as an SVG
``<symbol>`` that rows ``<use>``), the CSS and a small vanilla script are inline, fonts are the
browser's own. Clear, unresolved and invalid results are only counted (unresolved and invalid
inputs are also listed as text, capped), so a large batch with few hits gives a small report.

Rows are streamed to temporary files as results arrive, so memory stays flat; the summary at
the top is written when the last result is in.

The page's script sets ``data-status="ok"`` on ``#precheck-status`` once it has run (and
``"error"`` from ``window.onerror``): tests load the page in headless Chromium and check it.

>>> import io
>>> out = io.StringIO()
>>> rep = HtmlReport(out)
>>> rep.begin({"tool_version": "0", "watchlist_version": "w", "watchlist_sha256": "s"})
>>> rep.add({"row": 1, "input": "<b>", "input_type": "name", "verdict": "invalid", "hits": [], "error": "x"})
>>> rep.end()
>>> "&lt;b&gt;" in out.getvalue() and "<b>" not in out.getvalue()
True
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import re
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

from precursor_check.memo import Memo
from precursor_check.model import MatchKind, Verdict

FLAGGED = tuple(v.value for v in Verdict if v.is_hit)
VERDICTS = tuple(v.value for v in Verdict)  # most severe first
SEVERITY = {v.value: v.severity for v in Verdict}
IDENTITY = (MatchKind.EXACT.value, MatchKind.PARENT.value, MatchKind.STEREO.value)
RULES = (MatchKind.CLASS_RULE.value, MatchKind.SUBSTRUCTURE.value)
DEFAULT_MAX_DRAWN = 500  # flagged rows drawn with depictions (~2.6 s to open at 500); later rows are text only
DEFAULT_MAX_LISTED = 200  # unresolved / invalid inputs listed (each) as text
SIZE = (200, 150)


def esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


# ---------------------------------------------------------------------------------------------
# chemistry: molecules, highlights, SVG


def _mol(smiles: str | None):
    if not smiles:
        return None
    from rdkit import Chem

    try:
        return Chem.MolFromSmiles(smiles)
    except Exception:
        return None


def _match(mol, patterns) -> tuple[int, ...]:
    for p in patterns or ():
        m = mol.GetSubstructMatch(p)
        if m:
            return tuple(m)
    return ()


def _rule_atoms(mol, patterns, given: Iterable[int]) -> tuple[int, ...]:
    """The rule's matched atoms in `mol`: Hit.atoms when they are a match there, else a fresh match.

    Hit.atoms index the molecule the matcher saw; the depiction is drawn from the reported SMILES,
    whose atom order can differ, so the indices are checked against the rule before use.
    """
    given = tuple(int(a) for a in given or ())
    n = mol.GetNumAtoms()
    if not patterns:
        return given if given and all(0 <= a < n for a in given) else ()
    if given and all(0 <= a < n for a in given):
        want = set(given)
        for p in patterns:
            for m in mol.GetSubstructMatches(p, uniquify=False, maxMatches=200):
                if set(m) == want:
                    return given
    return _match(mol, patterns)


def Chem_smarts(patt) -> str:  # noqa: N802 - the symbol cache key of a drawn pattern
    from rdkit import Chem

    return Chem.MolToSmarts(patt)


def _mcs(a, b, timeout: float) -> tuple[tuple[int, ...], tuple[int, ...], bool]:
    """Atoms of the maximum common substructure in a and b (and whether the search timed out)."""
    from rdkit import Chem
    from rdkit.Chem import rdFMCS

    try:
        res = rdFMCS.FindMCS([a, b], timeout=max(1, int(round(timeout))), ringMatchesRingOnly=True,
                             completeRingsOnly=True)
    except Exception:
        return (), (), False
    if not res.smartsString or res.numAtoms < 2:
        return (), (), bool(res.canceled)
    patt = Chem.MolFromSmarts(res.smartsString)
    if patt is None:
        return (), (), bool(res.canceled)
    return tuple(a.GetSubstructMatch(patt)), tuple(b.GetSubstructMatch(patt)), bool(res.canceled)


_HEADER = re.compile(r"<\?xml[^>]*>|<!--.*?-->|\sclass='[^']*'", re.S)
_SVG_OPEN = re.compile(r"<svg[^>]*>", re.S)


def svg_of(mol, atoms: Iterable[int] = (), size: tuple[int, int] = SIZE) -> str:
    """RDKit SVG of `mol` with `atoms` (and the bonds between them) highlighted; the inner markup only."""
    from rdkit.Chem.Draw import rdMolDraw2D

    atoms = [a for a in dict.fromkeys(atoms) if 0 <= a < mol.GetNumAtoms()]
    bonds = [b.GetIdx() for b in mol.GetBonds() if b.GetBeginAtomIdx() in atoms and b.GetEndAtomIdx() in atoms]
    d = rdMolDraw2D.MolDraw2DSVG(size[0], size[1], -1, -1, True)  # noFreetype: <text> labels, smaller files
    d.drawOptions().clearBackground = False
    d.drawOptions().setHighlightColour((1.0, 0.78, 0.35))
    try:
        d.DrawMolecule(mol, highlightAtoms=atoms, highlightBonds=bonds)
    except Exception:  # e.g. a query molecule RDKit cannot kekulise: draw it without preparation
        d = rdMolDraw2D.MolDraw2DSVG(size[0], size[1], -1, -1, True)
        d.drawOptions().prepareMolsBeforeDrawing = False
        d.drawOptions().clearBackground = False
        d.DrawMolecule(mol, highlightAtoms=atoms, highlightBonds=bonds)
    d.FinishDrawing()
    text = _HEADER.sub("", d.GetDrawingText())
    text = _SVG_OPEN.sub("", text, count=1).replace("</svg>", "")
    return "\n".join(line for line in text.splitlines() if line.strip())


# ---------------------------------------------------------------------------------------------
# the report


class HtmlReport:
    """begin(meta) / add(result dict) / end(): the same life cycle as the other writers.

    `watchlist` (a `watchlist.Watchlist`: the screener's, or the shipped one loaded again) supplies
    the entries' SMILES and the rules' SMARTS by hit id; without it matched entries are named, not drawn.
    """

    def __init__(self, out: IO[str], watchlist=None, *, generated: str | None = None, source: str | None = None,
                 max_drawn: int = DEFAULT_MAX_DRAWN, max_listed: int = DEFAULT_MAX_LISTED, mcs_timeout: float = 1.0,
                 note: str | None = None):
        self.out = out
        self.entries = {e.id: e for e in watchlist.entries} if watchlist is not None else None
        self.rules = {r.id: r for r in watchlist.rules} if watchlist is not None else {}
        self._patterns: dict[str, list] = {}
        self.generated = generated
        self.source = source
        self.max_drawn = max_drawn
        self.max_listed = max_listed
        self.mcs_timeout = mcs_timeout
        self.notes: list[str] = [note] if note else []

    # -- life cycle ---------------------------------------------------------------------------
    def begin(self, meta: dict) -> None:
        self.meta = dict(meta)
        self.started = self.generated or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        self.counts = {v: 0 for v in VERDICTS}
        self.by_jur: dict[str, int] = {}
        self.by_family: dict[str, int] = {}
        self.listed: dict[str, list[str]] = {"unresolved": [], "invalid": []}
        self.n = 0
        self.flagged = 0
        self.drawn = 0
        self.rows = tempfile.TemporaryFile("w+", encoding="utf-8")
        self.symbols = tempfile.TemporaryFile("w+", encoding="utf-8")
        self.symbol_ids: dict[str, str] = {}
        self.mols: Memo = Memo(50_000)  # SMILES -> parsed molecule (None when it does not parse)
        self.mcs_cache: Memo = Memo(20_000)  # (query, entry SMILES) -> maximum common substructure
        self.mcs_timeouts = 0
        self.versions: set[tuple] = set()

    def add(self, rec: dict) -> None:
        verdict = rec.get("verdict") or "invalid"
        if verdict not in SEVERITY:
            verdict = "invalid"
        self.n += 1
        self.counts[verdict] += 1
        if rec.get("watchlist_sha256"):
            self.versions.add((rec.get("tool_version"), rec.get("watchlist_version"), rec.get("watchlist_sha256")))
        if verdict in self.listed:
            if len(self.listed[verdict]) < self.max_listed:
                self.listed[verdict].append(self._listed_line(rec))
            return
        if verdict not in FLAGGED:
            return
        self.flagged += 1
        self.rows.write(self._row(rec, verdict))

    def end(self) -> None:
        try:
            self._assemble()
        finally:
            self.rows.close()
            self.symbols.close()

    # -- pieces -------------------------------------------------------------------------------
    def _listed_line(self, rec: dict) -> str:
        row = rec.get("row")
        where = f"#{row} " if row is not None else ""
        return f"<li>{esc(where)}<code>{esc(_clip(rec.get('input'), 200))}</code> — {esc(_clip(rec.get('error'), 300))}</li>"

    def _get_mol(self, smiles: str | None):
        if not smiles:
            return None
        if smiles not in self.mols:
            self.mols.put(smiles, _mol(smiles))
        return self.mols[smiles]

    def _symbol(self, key_smiles: str, mol, atoms) -> str:
        """Id of the SVG symbol for (structure, highlight); drawn once per distinct picture."""
        atoms = tuple(sorted(set(atoms)))
        key = hashlib.sha1(f"{key_smiles}|{atoms}".encode()).hexdigest()[:12]
        sid = self.symbol_ids.get(key)
        if sid is None:
            sid = f"m{len(self.symbol_ids)}"
            self.symbol_ids[key] = sid
            self.symbols.write(f"<symbol id='{sid}' viewBox='0 0 {SIZE[0]} {SIZE[1]}'>{svg_of(mol, atoms)}</symbol>\n")
        return sid

    def _pic(self, sid: str | None, label: str) -> str:
        if sid is None:
            return f"<div class='nopic'>{esc(label)}</div>"
        return (f"<svg class='mol' width='{SIZE[0]}' height='{SIZE[1]}' viewBox='0 0 {SIZE[0]} {SIZE[1]}' role='img' "
                f"aria-label='{esc(label)}'><use href='#{sid}'/></svg>")

    def _entry_side(self, hit: dict, qmol=None):
        """(smiles, mol, patterns, label) for the matched watchlist entry or rule."""
        hid = hit.get("id") or ""
        if self.entries is None:
            return None, None, None, "watchlist not loaded"
        if hit.get("match") in RULES and hid not in self.entries:  # (a ring-substituted variant names an entry)
            rule = self.rules.get(hid)
            if rule is None:
                return None, None, None, f"rule {hid} is not in this watchlist"
            patterns = self._rule_patterns(rule)
            if qmol is not None:  # the pattern that matched the input, when the rule has several
                patterns = [p for p in patterns if qmol.HasSubstructMatch(p)] or patterns
            for eid in rule.entries:  # an entry of the rule that the same pattern matches, else the pattern
                e = self.entries.get(eid)
                emol = self._get_mol(e.smiles) if e is not None and e.smiles else None
                if emol is not None and _match(emol, patterns[:1]):
                    return e.smiles, emol, patterns, f"{e.name} (an entry under {hid})"
            if patterns:
                return Chem_smarts(patterns[0]), patterns[0], patterns, f"pattern of {hid}"
            return None, None, patterns, "no structure"
        e = self.entries.get(hid)
        if e is None:
            return None, None, None, f"entry {hid} is not in this watchlist"
        if not e.smiles:
            return None, None, None, "no structure (identified by CAS or name)"
        return e.smiles, self._get_mol(e.smiles), None, e.name

    def _rule_patterns(self, rule) -> list:
        pats = self._patterns.get(rule.id)
        if pats is None:
            from rdkit import Chem

            pats = [p for p in (Chem.MolFromSmarts(s) for s in rule.smarts) if p is not None]
            for p in pats:
                p.UpdatePropertyCache(strict=False)
            self._patterns[rule.id] = pats
        return pats

    def _pictures(self, rec: dict, hit: dict | None) -> tuple[str, str, str]:
        """(input picture, entry picture, note) with the matched/shared atoms highlighted."""
        in_smiles = (hit or {}).get("fragment") or rec.get("smiles")
        qmol = self._get_mol(in_smiles)
        if hit is None:
            return self._pic(self._symbol(in_smiles, qmol, ()) if qmol is not None else None, "no structure"), \
                self._pic(None, "no entry"), ""
        kind = hit.get("match")
        if kind == "masked" and hit.get("product"):  # the product of unmasking beside the input
            return self._masked_pictures(in_smiles, qmol, hit)
        e_smiles, emol, patterns, e_label = self._entry_side(hit, qmol)
        q_atoms: tuple[int, ...] = ()
        e_atoms: tuple[int, ...] = ()
        note = ""
        if kind in RULES and patterns is None and emol is not None:  # a ring-substituted variant of an entry
            if qmol is not None:
                q_atoms = tuple(qmol.GetSubstructMatch(emol))
            e_atoms = tuple(range(emol.GetNumAtoms()))
            note = "highlighted: the listed structure inside the input"
        elif kind in RULES:
            if qmol is not None:
                q_atoms = _rule_atoms(qmol, patterns, hit.get("atoms"))
            if emol is not None:  # the pattern itself is drawn whole; an entry shows where the rule matches
                is_pattern = bool(patterns) and emol is patterns[0]
                e_atoms = tuple(range(emol.GetNumAtoms())) if is_pattern else _match(emol, patterns)
            note = "highlighted: atoms the class rule matched"
        elif kind in IDENTITY:
            if qmol is not None:
                q_atoms = tuple(range(qmol.GetNumAtoms()))
            if emol is not None:
                e_atoms = tuple(range(emol.GetNumAtoms()))
            note = "same structure"
        elif qmol is not None and emol is not None:
            key = (in_smiles, e_smiles)
            got = self.mcs_cache.get(key)
            if got is None:
                got = _mcs(qmol, emol, self.mcs_timeout)
                if got[2]:
                    self.mcs_timeouts += 1
                self.mcs_cache.put(key, got)
            q_atoms, e_atoms, timed_out = got
            note = "highlighted: maximum common substructure" + (" (search timed out: partial)" if timed_out else "")
        q_pic = self._pic(self._symbol(in_smiles, qmol, q_atoms) if qmol is not None else None, "no structure")
        e_pic = self._pic(self._symbol(e_smiles, emol, e_atoms) if emol is not None else None, e_label)
        return q_pic, e_pic, note

    def _masked_pictures(self, in_smiles: str | None, qmol, hit: dict) -> tuple[str, str, str]:
        """Input and the product its unmasking steps give (the listed structure); highlighted in the
        input: the part that the product keeps (its skeleton, unmask.skeleton)."""
        product = hit["product"]
        pmol = self._get_mol(product)
        q_atoms: tuple[int, ...] = ()
        if qmol is not None and pmol is not None:
            from rdkit import Chem

            from precursor_check.watchlist.unmask import skeleton

            patt = Chem.MolFromSmarts(skeleton(pmol))
            q_atoms = tuple(qmol.GetSubstructMatch(patt)) if patt is not None else ()
        steps = ", then ".join(hit.get("steps") or ())
        q_pic = self._pic(self._symbol(in_smiles, qmol, q_atoms) if qmol is not None else None, "no structure")
        p_pic = self._pic(self._symbol(product, pmol, tuple(range(pmol.GetNumAtoms()))) if pmol is not None else None,
                          f"product {product}")
        return q_pic, p_pic, f"right: the product of unmasking ({steps}), the listed structure; highlighted: the part the input keeps"

    def _row(self, rec: dict, verdict: str) -> str:
        hits = [h for h in rec.get("hits") or [] if h.get("counted", True)]
        top = hits[0] if hits else None
        # lists and families of the hits that make the verdict (a controlled row: where it is controlled;
        # an analog: where its listed relatives are)
        mine = [h for h in hits if h.get("verdict") == verdict] or hits
        jur = sorted({lst.get("jurisdiction") for h in mine for lst in h.get("lists") or [] if lst.get("jurisdiction")})
        fam = sorted({f for h in mine for f in h.get("families") or []})
        for j in jur or ["none"]:
            self.by_jur[j] = self.by_jur.get(j, 0) + 1
        for f in fam or ["none"]:
            self.by_family[f] = self.by_family.get(f, 0) + 1
        if self.drawn < self.max_drawn:
            q_pic, e_pic, note = self._pictures(rec, top)
            self.drawn += 1
        else:
            q_pic = e_pic = "<div class='nopic'>not drawn (over the depiction limit)</div>"
            note = ""
        score = top.get("score") if top else None
        score_txt = "" if score is None else f"{score:.2f}"
        entry = ""
        if top:
            entry = (f"<b>{esc(top.get('id'))}</b> {esc(top.get('name'))}"
                     + (f"<br><span class='cas'>CAS {esc(top.get('cas'))}</span>" if top.get("cas") else "")
                     + f"<br><span class='kind'>{esc(top.get('match'))}</span>")
        others = ", ".join(
            esc(h.get("id")) + (f" ({h['score']:.2f})" if h.get("score") is not None and h.get("match") == "similarity" else "")
            for h in hits[1:8])
        if len(hits) > 8:
            others += f", … {len(hits) - 8} more"
        cites = "<br>".join(_citation(lst) for lst in (top.get("lists") or [])) if top else ""
        if top and not cites:
            cites = "<span class='muted'>no legal listing (structural alert / similarity)</span>"
        removed = rec.get("removed") or []
        smiles = rec.get("smiles") or ""
        search = " ".join(str(x) for x in (rec.get("input"), smiles, top and top.get("id"), top and top.get("name"),
                                           top and top.get("cas"), top and top.get("reason")) if x).lower()
        row = rec.get("row")
        return (
            f"<tr data-row='{esc(row if row is not None else self.n)}' data-verdict='{verdict}' "
            f"data-sev='{SEVERITY[verdict]}' data-jur=' {esc(' '.join(jur))} ' data-fam=' {esc(' '.join(fam))} ' "
            f"data-score='{'' if score is None else score}' data-text='{esc(_clip(search, 600))}'>"
            f"<td class='num'>{esc(row if row is not None else '')}</td>"
            f"<td><span class='v v-{verdict}'>{verdict}</span></td>"
            f"<td class='pic'>{q_pic}<div class='inp'><code>{esc(_clip(rec.get('input'), 200))}</code>"
            + (f"<br><span class='muted'>{esc(rec.get('input_type'))}"
               + (f", removed: {esc(', '.join(removed))}" if removed else "") + "</span>")
            + (f"<br><span class='smi'>{esc(_clip(smiles, 200))}</span>" if smiles and smiles != rec.get("input") else "")
            + "</div></td>"
            f"<td class='pic'>{e_pic}<div>{entry}</div></td>"
            f"<td class='num'>{score_txt}</td>"
            f"<td>{esc(' '.join(jur)) or '<span class=muted>none</span>'}</td>"
            f"<td>{esc(', '.join(fam))}</td>"
            f"<td class='reason'>{esc(top.get('reason') if top else rec.get('error'))}"
            + (f"<br><span class='muted'>{esc(note)}</span>" if note else "")
            + (f"<br><span class='muted'>also: {others}</span>" if others else "")
            + "</td>"
            f"<td class='cite'>{cites}</td></tr>\n"
        )

    def _assemble(self) -> None:
        w = self.out.write
        meta = self.meta
        title = "precheck screening report"
        w("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>\n")
        w("<meta name='viewport' content='width=device-width, initial-scale=1'>\n")
        w(f"<meta name='generator' content='precheck {esc(meta.get('tool_version'))}'>\n")
        w(f"<title>{title}</title>\n<style>{CSS}</style>\n")
        w("<script>window.onerror=function(m,s,l){var e=document.getElementById('precheck-status');"
          "if(e){e.setAttribute('data-status','error');e.textContent='script error: '+m+' (line '+l+')';}"
          "else{window.__precheckError=String(m);}};</script>\n</head><body>\n")
        w(f"<h1>{title}</h1>\n<div class='meta'><table>")
        for k, v in (("generated", self.started), ("results", self.source), ("tool version", meta.get("tool_version")),
                     ("watchlist version", meta.get("watchlist_version")),
                     ("watchlist sha256", meta.get("watchlist_sha256"))):
            if v:
                w(f"<tr><th>{esc(k)}</th><td><code>{esc(v)}</code></td></tr>")
        w("</table></div>\n")
        notes = list(self.notes)
        if len(self.versions) > 1:
            notes.append("the results come from several tool/watchlist versions: "
                         + "; ".join(f"{t} / {v} / {s[:12]}…" for t, v, s in sorted(self.versions, key=str)))
        if self.mcs_timeouts:
            notes.append(f"{self.mcs_timeouts} common-substructure search(es) hit the {self.mcs_timeout:g} s limit; "
                         "their highlights are partial")
        if self.flagged > self.drawn:
            notes.append(f"{self.flagged - self.drawn} flagged rows are listed without depictions "
                         f"(only the first {self.max_drawn:,} are drawn; `precheck report --max-drawn N` draws more)")
        for note in notes:
            w(f"<p class='note'>{esc(note)}</p>\n")
        # summary
        w("<section class='summary'><div><h2>Verdicts</h2><table class='counts'>")
        for v in VERDICTS:
            w(f"<tr><td><span class='v v-{v}'>{v}</span></td><td class='num' id='count-{v}'>{self.counts[v]:,}</td></tr>")
        w(f"<tr><th>total</th><th class='num' id='count-total'>{self.n:,}</th></tr></table></div>")
        w("<div><h2>Flagged, by jurisdiction</h2><table class='counts'>")
        for j, n in sorted(self.by_jur.items(), key=lambda x: (x[0] == "none", x[0])):
            label = "no legal listing" if j == "none" else j
            w(f"<tr><td>{esc(label)}</td><td class='num'>{n:,}</td></tr>")
        if not self.by_jur:
            w("<tr><td class='muted'>nothing flagged</td></tr>")
        w("</table></div><div><h2>Flagged, by family</h2><table class='counts'>")
        for f, n in sorted(self.by_family.items(), key=lambda x: (-x[1], x[0])):
            w(f"<tr><td>{esc('unspecified' if f == 'none' else f)}</td><td class='num'>{n:,}</td></tr>")
        if not self.by_family:
            w("<tr><td class='muted'>nothing flagged</td></tr>")
        w("</table></div></section>\n")
        # symbols (each distinct depiction once)
        w("<svg class='defs' width='0' height='0' aria-hidden='true'><defs>\n")
        self.symbols.seek(0)
        _copy(self.symbols, self.out)
        w("</defs></svg>\n")
        # the flagged table
        w(f"<h2>Flagged inputs ({self.flagged:,})</h2>\n")
        w("<div class='filters'>")
        w(_select("verdict", "verdict", [(v, v) for v in FLAGGED if self.counts[v]]))
        w(_select("list", "list (jurisdiction)",
                  [(j, "no legal listing" if j == "none" else j) for j in sorted(self.by_jur)]))
        w(_select("family", "family", [(f, "unspecified" if f == "none" else f) for f in sorted(self.by_family)]))
        w("<label>search <input id='f-text' type='search' placeholder='input, id, name, CAS, reason'></label>")
        w(f"<span class='shown'>showing <b id='shown'>{self.flagged:,}</b> of {self.flagged:,}</span></div>\n")
        w("<table id='flagged' class='rows'><thead><tr>"
          "<th data-key='row' data-type='num'>#</th><th data-key='sev' data-type='num'>verdict</th>"
          "<th>input</th><th>matched entry</th><th data-key='score' data-type='num'>score</th>"
          "<th data-key='jur'>lists</th><th data-key='fam'>family</th><th>reason</th><th>citation</th>"
          "</tr></thead><tbody>\n")
        self.rows.seek(0)
        _copy(self.rows, self.out)
        w("</tbody></table>\n")
        if not self.flagged:
            w("<p class='muted'>No input was flagged.</p>\n")
        # unresolved / invalid, as text
        for v in ("unresolved", "invalid"):
            if self.counts[v]:
                shown = len(self.listed[v])
                more = f" (first {shown:,} listed)" if self.counts[v] > shown else ""
                w(f"<h2>{v.capitalize()} ({self.counts[v]:,}){more}</h2>\n<ul class='compact' id='list-{v}'>"
                  + "".join(self.listed[v]) + "</ul>\n")
        if self.counts["clear"]:
            w(f"<p class='muted'>{self.counts['clear']:,} clear inputs are counted above and not listed.</p>\n")
        w("<p class='foot'>Depictions: RDKit. Highlighted atoms: those a class rule matched, or the maximum common "
          "substructure of the input and the entry. <span id='precheck-status' data-status='loading'>"
          "Sorting and filtering need JavaScript.</span></p>\n")
        w(f"<script>{SCRIPT}</script>\n</body></html>\n")


def _clip(value, n: int) -> str:
    s = "" if value is None else str(value)
    return s if len(s) <= n else s[: n - 1] + "…"


def _citation(lst: dict) -> str:
    s = f"<b>{esc(lst.get('jurisdiction'))} {esc(lst.get('list'))}</b>"
    if lst.get("citation"):
        s += f": {esc(lst['citation'])}"
    if lst.get("effective"):
        s += f" <span class='muted'>(effective {esc(lst['effective'])})</span>"
    if lst.get("confidence") and lst.get("confidence") != "confirmed":
        s += f" <span class='muted'>[{esc(lst['confidence'])}]</span>"
    return s


def _select(name: str, label: str, options: list[tuple[str, str]]) -> str:
    opts = "".join(f"<option value='{esc(v)}'>{esc(t)}</option>" for v, t in options)
    return f"<label>{esc(label)} <select id='f-{name}'><option value=''>all</option>{opts}</select></label>"


def _copy(src, dst, chunk: int = 1 << 20) -> None:
    while True:
        block = src.read(chunk)
        if not block:
            return
        dst.write(block)


# ---------------------------------------------------------------------------------------------
# saved results (for `precheck report`)


def read_results(lines: Iterable[str], where: str = "input") -> Iterator[dict]:
    """Result records from JSONL (one Result.to_dict() + meta per line) or from `-f json` output."""
    from precursor_check.errors import InputError

    it = iter(lines)
    first = None
    for first in it:
        if first.strip():
            break
    else:
        return
    if first.lstrip().startswith('{"meta"'):
        text = first + "".join(it)
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise InputError(f"{where}: not valid JSON ({exc})") from None
        meta = doc.get("meta") if isinstance(doc, dict) else None
        results = doc.get("results") if isinstance(doc, dict) else None
        if not isinstance(meta or {}, dict) or not isinstance(results or [], list):
            raise InputError(f"{where}: not precheck -f json output (meta must be an object, results a list)")
        for i, rec in enumerate(results or []):
            if not isinstance(rec, dict):
                raise InputError(f"{where}: results[{i}] is not a precheck result (not an object)")
            yield checked_record({**(meta or {}), **rec}, f"{where}: results[{i}]")
        return
    for n, line in enumerate(_chain(first, it), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            raise InputError(f"{where}: line {n} is not JSON (expected precheck -f jsonl output)") from None
        if not isinstance(rec, dict) or "verdict" not in rec:
            raise InputError(f"{where}: line {n} is not a precheck result (no verdict)")
        yield checked_record(rec, f"{where}: line {n}")


_TEXT_FIELDS = ("input", "input_type", "smiles", "inchikey", "source", "error", "tool_version", "watchlist_version",
                "watchlist_sha256")
_HIT_TEXT = ("id", "name", "cas", "match", "verdict", "reason", "fragment", "product", "subject")
_LIST_TEXT = ("jurisdiction", "list", "citation", "effective", "confidence", "regime", "instrument", "source_url")


def checked_record(rec: dict, where: str) -> dict:
    """A saved result made safe to render: the verdict must be one precheck writes, hits and their
    lists must be lists of objects and scores numbers (one InputError line naming the record
    otherwise, never a traceback); text fields of another JSON type are shown as text."""
    from precursor_check.errors import InputError

    def bad(what: str):
        return InputError(f"{where}: {what} (expected precheck -f jsonl output)")

    def text(v):
        return v if v is None or isinstance(v, str) else json.dumps(v, ensure_ascii=False)

    def texts(v, key):
        if v is None:
            return []
        if isinstance(v, str):
            return [v]
        if not isinstance(v, list):
            raise bad(f"{key} must be a list")
        return [text(x) for x in v if x is not None]

    out = dict(rec)
    verdict = rec.get("verdict")
    if not isinstance(verdict, str) or verdict not in SEVERITY:
        raise bad(f"verdict {verdict!r} is not a precheck verdict")
    for k in _TEXT_FIELDS:
        if k in out:
            out[k] = text(out[k])
    row = rec.get("row")
    if row is not None and (isinstance(row, bool) or not isinstance(row, int)):
        out["row"] = text(row)
    out["removed"] = texts(rec.get("removed"), "removed")
    hits = rec.get("hits")
    if hits is None:
        hits = []
    if not isinstance(hits, list) or not all(isinstance(h, dict) for h in hits):
        raise bad("hits must be a list of objects")
    clean = []
    for h in hits:
        h = dict(h)
        for k in _HIT_TEXT:
            if k in h:
                h[k] = text(h[k])
        score = h.get("score")
        if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
            raise bad(f"hit {h.get('id')!r}: score {score!r} is not a number")
        if isinstance(score, float) and score != score:
            h["score"] = None
        lists = h.get("lists")
        if lists is None:
            lists = []
        if not isinstance(lists, list) or not all(isinstance(x, dict) for x in lists):
            raise bad(f"hit {h.get('id')!r}: lists must be a list of objects")
        h["lists"] = [{k: text(v) if k in _LIST_TEXT else v for k, v in x.items()} for x in lists]
        h["families"] = texts(h.get("families"), "families")
        h["steps"] = texts(h.get("steps"), "steps")
        atoms = h.get("atoms")
        h["atoms"] = [a for a in atoms if isinstance(a, int) and not isinstance(a, bool) and a >= 0] \
            if isinstance(atoms, list) else []
        clean.append(h)
    out["hits"] = clean
    return out


def _chain(first, rest):
    yield first
    yield from rest


def render(records: Iterable[dict], out: IO[str], watchlist=None, meta: dict | None = None, **kw) -> HtmlReport:
    """Render result records (dicts) into `out`; the meta comes from `meta` or the first record."""
    records = iter(records)
    first = next(records, None)
    if meta is None:
        src = first or {}
        meta = {k: src.get(k) for k in ("tool_version", "watchlist_version", "watchlist_sha256")}
    rep = HtmlReport(out, watchlist, **kw)
    rep.begin(meta)
    if first is not None:
        rep.add(first)
        for rec in records:
            rep.add(rec)
    rep.end()
    return rep


CSS = """
:root{--c:#b00020;--w:#b35c00;--a:#6a4fb3;--ok:#2e7d32;--mut:#666}
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:1.2em;color:#111}
h1{font-size:1.5em;margin:.2em 0 .5em}h2{font-size:1.15em;margin:1em 0 .4em}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.95em;word-break:break-all}
.meta table{border-collapse:collapse}.meta th{text-align:left;padding:1px 1em 1px 0;color:var(--mut);font-weight:normal}
.summary{display:flex;gap:3em;flex-wrap:wrap}.counts td,.counts th{padding:1px .8em 1px 0}
.num{text-align:right;font-variant-numeric:tabular-nums}
.v{display:inline-block;padding:0 .5em;border-radius:.6em;color:#fff;font-size:.9em;background:#888}
.v-controlled{background:var(--c)}.v-watch{background:var(--w)}.v-analog{background:var(--a)}
.v-clear{background:var(--ok)}.v-unresolved{background:#777}.v-invalid{background:#444}
.filters{display:flex;gap:1.2em;flex-wrap:wrap;align-items:center;margin:.4em 0 .6em}
.rows{border-collapse:collapse;width:100%}.rows th,.rows td{border-bottom:1px solid #ddd;padding:4px 6px;vertical-align:top;text-align:left}
.rows thead th{position:sticky;top:0;background:#f4f4f4;white-space:nowrap}.rows th[data-key]{cursor:pointer;user-select:none}
.rows th[data-key]:after{content:" \\2195";color:#aaa}.rows th.asc:after{content:" \\2191";color:#000}.rows th.desc:after{content:" \\2193";color:#000}
.pic{min-width:200px;max-width:260px}.mol{display:block;background:#fff;border:1px solid #eee}
.nopic{width:200px;height:60px;display:flex;align-items:center;justify-content:center;color:var(--mut);border:1px dashed #ddd;font-size:.85em;text-align:center}
.smi{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.8em;color:var(--mut);word-break:break-all}
.reason{max-width:26em}.cite{max-width:24em;font-size:.9em}.muted,.cas,.kind{color:var(--mut);font-size:.9em}
.note{background:#fff6e0;border-left:4px solid var(--w);padding:.3em .6em}
.compact{font-size:.9em;columns:2 28em}.foot{margin-top:2em;color:var(--mut);font-size:.85em}
.defs{position:absolute;width:0;height:0;overflow:hidden}
tr[hidden]{display:none}
"""

SCRIPT = r"""
(function(){
var st=document.getElementById('precheck-status');
var tb=document.querySelector('#flagged tbody');
var rows=Array.prototype.slice.call(tb.rows);
var fv=document.getElementById('f-verdict'),fj=document.getElementById('f-list'),
    ff=document.getElementById('f-family'),fq=document.getElementById('f-text'),
    shown=document.getElementById('shown');
function has(r,attr,v){return (' '+r.getAttribute(attr)+' ').indexOf(' '+v+' ')>=0;}
function apply(){
  var v=fv.value,j=fj.value,f=ff.value,q=fq.value.trim().toLowerCase(),n=0;
  for(var i=0;i<rows.length;i++){var r=rows[i];
    var ok=(!v||r.getAttribute('data-verdict')===v)&&(!j||has(r,'data-jur',j))&&(!f||has(r,'data-fam',f))
      &&(!q||r.getAttribute('data-text').indexOf(q)>=0);
    r.hidden=!ok; if(ok)n++;}
  shown.textContent=n.toLocaleString('en'); st.setAttribute('data-visible',n);
}
var sortKey=null,sortDir=1;
function sortBy(key,type,dir){
  var ths=document.querySelectorAll('#flagged th');
  for(var i=0;i<ths.length;i++){ths[i].classList.remove('asc','desc');
    if(ths[i].getAttribute('data-key')===key)ths[i].classList.add(dir>0?'asc':'desc');}
  var attr='data-'+key;
  rows.sort(function(a,b){var x=a.getAttribute(attr),y=b.getAttribute(attr);
    if(type==='num'){x=x===''?-Infinity:parseFloat(x);y=y===''?-Infinity:parseFloat(y);
      return x<y?-dir:x>y?dir:(+a.getAttribute('data-row'))-(+b.getAttribute('data-row'));}
    return x.localeCompare(y)*dir||(+a.getAttribute('data-row'))-(+b.getAttribute('data-row'));});
  var frag=document.createDocumentFragment();
  for(var k=0;k<rows.length;k++)frag.appendChild(rows[k]);
  tb.appendChild(frag); sortKey=key; sortDir=dir; st.setAttribute('data-sort',key+(dir>0?':asc':':desc'));
}
var heads=document.querySelectorAll('#flagged th[data-key]');
for(var h=0;h<heads.length;h++){heads[h].addEventListener('click',function(){
  var key=this.getAttribute('data-key'),type=this.getAttribute('data-type')||'text';
  sortBy(key,type,sortKey===key?-sortDir:(type==='num'&&key!=='row'?-1:1));});}
[fv,fj,ff].forEach(function(e){e.addEventListener('change',apply);});
fq.addEventListener('input',apply);
// state from the address: #verdict=controlled&list=US&family=fentanyl&q=text&sort=score
var hash=location.hash.replace(/^#/,'');
if(hash){hash.split('&').forEach(function(kv){var p=kv.split('='),k=p[0],v=decodeURIComponent(p[1]||'');
  var e={verdict:fv,list:fj,family:ff,q:fq}[k];
  if(e){e.value=v;}
  if(k==='sort'){var d=v.charAt(0)==='-'?-1:1,key=v.replace(/^-/,'');
    var th=document.querySelector('#flagged th[data-key="'+key+'"]');
    sortBy(key,th?th.getAttribute('data-type')||'text':'text',d);}});}
apply();
st.setAttribute('data-rows',rows.length);
st.setAttribute('data-ready-ms',Math.round(window.performance?performance.now():0));
st.setAttribute('data-status','ok');
st.textContent='';
})();
"""
