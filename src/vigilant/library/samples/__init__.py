"""Synthetic hash-set sources in every format Vigilant reads, for tests, benchmarks and the demo.

Everything here is generated from seeded random numbers and made-up words: no real hash set and no real
case data. ``Raw`` items let a test plant a damaged row at a known place.
"""

from __future__ import annotations

from vigilant.library.samples.encase import write_encase
from vigilant.library.samples.entries import (
    Raw,
    SampleItem,
    iter_synthetic_entries,
    sample_set,
    stored_entries,
    synthetic_entries,
)
from vigilant.library.samples.nsrl import (
    NSRL_MANUFACTURERS,
    NSRL_PACKAGES,
    NSRL_SYSTEMS,
    crc32_of,
    nsrl_names,
    write_nsrl_v2,
    write_nsrl_v3,
)
from vigilant.library.samples.readback import read_source
from vigilant.library.samples.text import write_csv, write_hashdeep, write_hashkeeper, write_sums
from vigilant.library.samples.vics import write_vics
from vigilant.library.samples.vpdq import write_vpdq

__all__ = [
    "NSRL_MANUFACTURERS",
    "NSRL_PACKAGES",
    "NSRL_SYSTEMS",
    "Raw",
    "SampleItem",
    "crc32_of",
    "iter_synthetic_entries",
    "nsrl_names",
    "read_source",
    "sample_set",
    "stored_entries",
    "synthetic_entries",
    "write_csv",
    "write_encase",
    "write_hashdeep",
    "write_hashkeeper",
    "write_nsrl_v2",
    "write_nsrl_v3",
    "write_sums",
    "write_vics",
    "write_vpdq",
]
