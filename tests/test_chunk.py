"""SMILES screened a step at a time over a chunk (`Screener.screen_chunk`, used by
`screen_queries`) give exactly the results of screening each query alone."""

from __future__ import annotations

import json

from precursor_check.engines.batch import ScreenerConfig, screen_queries
from precursor_check.identify.localdb import LocalDB

EDGE = [
    "CC(=O)Cc1ccccc1", "O=C1CCN(CCc2ccccc2)CC1.Cl", "CC(C)(C)OC(=O)N1CCC(=O)CC1", "CC(=O)C(C)c1ccccc1",
    "C1=CC=CC=C1CC(C)=O", "CC(=C)Cc1ccccc1O", "[2H]C([2H])([2H])C(=O)Cc1ccccc1", "C1CCNCC1.Cc1ccc(S(=O)(=O)O)cc1",
    "[Na+].[Cl-]", "O=P([O-])[O-].[Na+].[Na+]", "OCC", "  CCO  ", "C1CC", "not a smiles", "", "C" * 300,
    "CCO |$;;$|", "C[C@H](N)C(=O)O", "[NH3+]CC(=O)[O-]", "CC[N+](C)(C)C.[I-]", "O=C(O)CCc1ccccc1.O.O",
    "CC(=O)Cc1ccc2c(c1)OCO2", "COC(=O)C1(C)OC1c1ccc2c(c1)OCO2", "[CH3:1][OH:2]", "c1ccccc1.c1ccccc1",
    "79099-07-3", "NPP", "CCN(CC)CC.Cl",
]


def table_sample() -> list[str]:
    conn = LocalDB()._connect()
    return [r[0] for r in conn.execute("SELECT smiles FROM chem WHERE rowid % 250 = 3")]


def check(screener, queries, input_type):
    alone = [screener.screen(q, input_type) for q in queries]
    chunk = screen_queries(screener, queries, input_type)
    for q, a, b in zip(queries, alone, chunk):
        assert a == b, q
        assert json.dumps(a.to_dict()) == json.dumps(b.to_dict()), q


def test_a_chunk_gives_the_results_of_each_query_alone():
    queries = EDGE + table_sample()
    assert len(queries) > 300
    s = ScreenerConfig().build()
    taken = s.screen_chunk(queries, "smiles")
    assert sum(r is not None for r in taken) > 300  # the chunk path, not the query-by-query fallback
    verdicts = {r.verdict.value for r in screen_queries(s, queries, "smiles")}
    assert {"controlled", "analog", "clear", "invalid"} <= verdicts
    check(s, queries, "smiles")
    check(s, queries, "auto")  # CAS numbers and names in the chunk go the ordinary way


def test_options_and_caps_apply_in_a_chunk():
    queries = EDGE + table_sample()[:100]
    for config in (ScreenerConfig(max_atoms=12), ScreenerConfig(threshold=0.3, jurisdictions=("US",)),
                   ScreenerConfig(max_atoms=None)):
        check(config.build(), queries, "smiles")
