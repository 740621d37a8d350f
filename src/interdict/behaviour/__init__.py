"""Behaviour analytics: pure detectors over Polars frames (`detectors`, `trajectories`, `geo`), the
local and Dask engines (`engine`), saved events (`events`), risk scores (`risk`) and the
SYNTHETIC scenario generator (`scenario`)."""
