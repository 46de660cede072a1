"""A re-run of ``mattehub demo`` says, per config and split, how many shards it kept from the
earlier run and how many it (re)wrote (issue 19: the re-run said nothing about either)."""
import re

from mattehub.cli.main import main
from mattehub.output.layout import OutputLayout

LINE = re.compile(r"^(\S+)/(\S+): \d+ samples in (\d+) shards \((\d+) kept from an earlier run, "
                  r"(\d+) written, \d+ ids skipped\)$", re.M)


def _counts(text: str) -> dict[str, tuple[int, int, int]]:
    """``config/split`` -> (shards, kept, written) from the demo's summary lines."""
    return {f"{m[1]}/{m[2]}": (int(m[3]), int(m[4]), int(m[5])) for m in LINE.finditer(text)}


def test_demo_rerun_reports_kept_and_rewritten_shards(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--workers", "1"]) == 0
    first = _counts(capsys.readouterr().out)
    assert first["i-him/train"][0] == 3 and "him2k/natural" in first
    assert all(kept == 0 and written == shards for shards, kept, written in first.values())

    OutputLayout(out).shard("i-him", "train", 2, "parquet").unlink()  # the last shard lost
    assert main(["demo", "--out", str(out), "--workers", "1"]) == 0
    again = _counts(capsys.readouterr().out)
    assert again.keys() == first.keys()
    assert again["i-him/train"] == (3, 2, 1), "the lost shard is written again, the others kept"
    others = {name: counts for name, counts in again.items() if name != "i-him/train"}
    assert all(kept == shards and written == 0 for shards, kept, written in others.values())
