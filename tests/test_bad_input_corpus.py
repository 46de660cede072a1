"""Runs the bad-input corpus (tests/bad_input/): one test per row."""
import pytest

from bad_input.corpus import CASES
from bad_input.harness import Env


@pytest.fixture
def env(tmp_path, hhm, http_root):
    return Env(tmp_path, hhm, http_root)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input(case, env):
    try:
        run = case.damage_and_run(env)
        case.expect.check(env, run)
        if case.then is not None:
            case.then(env, run)
    finally:
        for cleanup in env.cleanups:
            cleanup()
