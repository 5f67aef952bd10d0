"""The human-readable table (rich), the default on a terminal."""

from __future__ import annotations

from typing import IO

from precursor_check.model import Result, Verdict

STYLES = {
    Verdict.CONTROLLED: "bold red",
    Verdict.WATCH: "bold magenta",
    Verdict.ANALOG: "yellow",
    Verdict.CLEAR: "green",
    Verdict.UNRESOLVED: "cyan",
    Verdict.INVALID: "cyan",
}


def render_table(rows: list[Result], meta: dict, out: IO[str]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(file=out, soft_wrap=False)
    table = Table(show_lines=True, title=None)
    table.add_column("#", justify="right", style="dim")
    table.add_column("input", overflow="fold", max_width=30)
    table.add_column("verdict")
    table.add_column("match")
    table.add_column("hit", overflow="fold", max_width=28)
    table.add_column("reason", overflow="fold")
    for r in rows:
        top = r.top
        hit = f"{top.id} {top.name}" + (f" [{top.cas}]" if top.cas else "") if top else ""
        match = top.match.value + (f" {top.score:.2f}" if top.score is not None and top.score < 1 else "") if top else ""
        reason = r.reason()
        more = [h for h in r.hits if h.counted][1:]
        if more:
            reason += f"  (+{len(more)} more: {', '.join(h.id for h in more[:4])}{'…' if len(more) > 4 else ''})"
        if r.source and r.source != "input":
            reason += f"\nstructure: {r.source}"
        # text is escaped: rich would take '[nH]' in a SMILES or '[opsin]' in a message for markup and drop it
        table.add_row(str(r.row or ""), escape(r.input), f"[{STYLES[r.verdict]}]{r.verdict.value}[/]", escape(match),
                      escape(hit), escape(reason))
    console.print(table)
    version = escape(str(meta["watchlist_version"]))
    console.print(f"[dim]watchlist {version} (sha256 {meta['watchlist_sha256'][:12]}…), "
                  f"precheck {meta['tool_version']}[/]")
