"""Screening engines: one query (screener), a local batch of worker processes, and Dask."""
