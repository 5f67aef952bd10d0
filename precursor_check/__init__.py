"""precheck: screen chemicals against drug-precursor watchlists.

The library does everything the command line does (docs/architecture.md):

>>> from precursor_check import Screener, screen_file, scan_text, writer_sink
>>> screener = Screener()                      # doctest: +SKIP
>>> screener.screen("79099-07-3").verdict      # doctest: +SKIP
<Verdict.CONTROLLED: 'controlled'>
>>> screen_file("orders.csv", sinks=[writer_sink("csv", "screened.csv")]).exit_code()   # doctest: +SKIP
<ExitCode.HIT: 1>
>>> [r.verdict.value for r in iter_screen_file("orders.csv")]                          # doctest: +SKIP
['controlled', 'clear']
>>> scan_text("Hot sale CAS79099 powder", screener).counts                             # doctest: +SKIP
{'controlled': 1}
"""

__version__ = "0.1.0"

__all__ = ["Screener", "Verdict", "Result", "Hit", "ScreenerConfig", "RunSummary", "screen_file", "iter_screen_file",
           "scan_text", "iter_scan_text", "screen_queries", "writer_sink", "__version__"]

_LAZY = {  # name -> module: imported on first use, so `import precursor_check` stays cheap for the CLI
    "Screener": "precursor_check.engines.screener",
    "ScreenerConfig": "precursor_check.engines.batch",
    "RunSummary": "precursor_check.engines.pipeline",
    "screen_file": "precursor_check.engines.pipeline",
    "iter_screen_file": "precursor_check.engines.pipeline",
    "scan_text": "precursor_check.engines.pipeline",
    "iter_scan_text": "precursor_check.engines.pipeline",
    "screen_queries": "precursor_check.engines.pipeline",
    "writer_sink": "precursor_check.io.sinks",
    "Verdict": "precursor_check.model",
    "Result": "precursor_check.model",
    "Hit": "precursor_check.model",
}


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(name)
    import importlib

    return getattr(importlib.import_module(module), name)
