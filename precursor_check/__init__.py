"""precheck: screen chemicals against drug-precursor watchlists.

>>> from precursor_check import Screener
>>> screener = Screener()                      # doctest: +SKIP
>>> screener.screen("79099-07-3").verdict      # doctest: +SKIP
<Verdict.CONTROLLED: 'controlled'>
"""

__version__ = "0.1.0"

__all__ = ["Screener", "Verdict", "Result", "Hit", "__version__"]


def __getattr__(name):  # lazy: keep `import precursor_check` cheap for the CLI
    if name == "Screener":
        from precursor_check.engines.screener import Screener

        return Screener
    if name in ("Verdict", "Result", "Hit"):
        from precursor_check import model

        return getattr(model, name)
    raise AttributeError(name)
