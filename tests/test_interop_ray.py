"""Ray Data on a built folder, as the README shows it: ``read_parquet`` and ``read_webdataset``
give every sample once, decoded by mattehub's helpers to the same arrays as its own rows.
One Ray session of 1 CPU for the module (its start-up is the slow part), started in the
folder holding ``mattehub-demo``: Ray's workers resolve the README's relative paths from
the directory the session was started in."""
from __future__ import annotations

import os

import pytest

from interop_data import assert_same, build_demo_like, readme_block, reference, run_block


@pytest.fixture(scope="module")
def ray_in_demo(hhm, tmp_path_factory):
    import ray  # the test extra installs it

    root = tmp_path_factory.mktemp("interop-ray")
    out = build_demo_like(hhm, root)
    cwd = os.getcwd()
    os.chdir(root)
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    try:
        yield out
    finally:
        ray.shutdown()
        os.chdir(cwd)


def test_ray_reads_both_formats_to_the_same_arrays(ray_in_demo):
    expected = reference(ray_in_demo)
    scope = run_block(readme_block("Ray Data"), "README Ray Data")
    assert scope["example"]["__key__"] in expected
    for name in ("rows", "tars"):
        examples = scope[name].take_all()
        assert sorted(e["__key__"] for e in examples) == sorted(expected), name
        for example in examples:
            assert_same(example, expected[example["__key__"]])
