"""The bad-input corpus: every row of every ``*_cases.py`` module, in one list.

Each row says which issue item it covers, how the input is damaged and what must come out.
Modules by theme: ``build_cases`` (options, output folders), ``synthesis_cases`` (damaged
i-him sources, name lists), ``source_cases`` (damaged release files, the gate's rules),
``http_cases`` (remote reads), ``archive_cases`` (zips, reassembly), ``verify_cases``
(damaged shard folders: resume and ``mattehub verify``), ``surreal_cases`` (damaged SURREAL
trees and background folders for surreal-alpha), ``evaluate_cases`` (damaged prediction
folders; streams made on the fly from bad options or damaged sources), ``scale_cases``
(ranged and remote builds, ``mattehub finalize``), ``options_cases`` (option values on every
route, ``stats`` arguments, unreachable ``--out`` URLs), ``streaming_cases`` (loads after a
rebuild or a source change, edited summaries, deleted shards, default splits), ``output_cases``
(links in --out, ``file://`` outputs, export, refused builds that must leave --out untouched),
``export_cases`` (``mattehub export`` of any config: where it may write, what it reads),
``adobe_release_cases`` (Adobe's public release read in place for composition-1k),
``videomatte_cases`` (damaged VideoMatte240K releases and RVM's evaluation sets),
``p3m_cases`` (damaged P3M-10k trees, folder and zip, for p3m-10k and p3m-500),
``am2k_cases`` (damaged AM-2k trees), ``aim500_cases`` (damaged AIM-500 trees), ``ppm_cases`` (damaged PPM-100 trees),
``hub_mirror_cases`` (damaged Hub-mirror Parquet files), ``d646_cases`` (damaged Distinctions-646
trees), ``rwp_cases`` (damaged RWP-636 trees).
"""
from __future__ import annotations

from . import (adobe_release_cases, aim500_cases, aim_cases, am2k_cases, archive_cases, build_cases, duts_cases, evaluate_cases, export_cases,
               http_cases,
               options_cases, output_cases, overlay_cases, overlay_original_cases, p3m_cases, ppm_cases,
               scale_cases,
               source_cases, streaming_cases,
               surreal_cases, synthesis_cases, verify_cases, videomatte_cases)
from . import d646_cases, hub_mirror_cases, rwp_cases
from .harness import Case

CASES: list[Case] = [case for module in (build_cases, synthesis_cases, source_cases, http_cases,
                                         archive_cases, verify_cases, surreal_cases,
                                         overlay_cases, overlay_original_cases, duts_cases,
                                         aim_cases, adobe_release_cases, p3m_cases, am2k_cases,
                                         aim500_cases, ppm_cases, evaluate_cases, scale_cases, options_cases,
                                         streaming_cases, output_cases, export_cases, videomatte_cases,
                                         hub_mirror_cases, d646_cases, rwp_cases)
                   for case in module.CASES]
assert len({case.id for case in CASES}) == len(CASES), "case ids must be unique"
