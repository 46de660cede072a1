"""Skip or stop: the one retry helper, and what a network failure does inside it.

A damaged input is the input's fault: the attempt is redrawn, and the sample skipped and
counted when no attempt works. A network or server failure (RemoteError) is not: it must
stop the build instead of being counted as a skip of samples whose files are fine.
"""
import pytest

from mattehub.contract.sample import EncodedSample
from mattehub.core.errors import RemoteError, SourceError
from mattehub.families.image_him import synth as image_him_synth
from mattehub.recipes.outcomes import RedrawError, attempts, read_outcome
from conftest import i_him_recipe


def _sample(index: int) -> EncodedSample:
    return EncodedSample(index, f"{index:08d}", {"meta": {}})


def test_remote_error_is_not_a_source_error():
    assert not issubclass(RemoteError, SourceError)


def test_bad_input_is_redrawn_then_counted_as_skipped():
    def attempt(number, events):
        raise SourceError(f"bg{number}.jpg", "is truncated")

    outcome = attempts(7, 3, attempt, "no readable background in 3 draws")
    assert outcome.sample is None
    assert outcome.events == [{"kind": "bad_input", "path": f"bg{n}.jpg", "reason": "is truncated"}
                              for n in range(3)] + [
        {"kind": "skipped_sample", "reason": "no readable background in 3 draws"}]


def test_rejected_draw_then_success():
    outcome = attempts(2, 3, lambda n, events: _sample(2) if n else "empty matte", "never")
    assert outcome.sample.index == 2
    assert outcome.events == [{"kind": "rejected_attempt", "reason": "empty matte"}]


def test_only_the_redrawn_kind_is_redrawn():
    def attempt(number, events):
        if number == 0:
            raise RedrawError("bg.jpg", "is truncated")
        raise SourceError("clip.mp4", "cannot be decoded")

    outcome = attempts(0, 3, attempt, "never", redraw=RedrawError, unusable="unusable source")
    assert outcome.sample is None
    assert [e["kind"] for e in outcome.events] == ["bad_input", "bad_input", "skipped_sample"]
    assert outcome.events[-1]["reason"] == "unusable source: clip.mp4"


def test_remote_error_in_an_attempt_stops_instead_of_skipping():
    calls = []

    def attempt(number, events):
        calls.append(number)
        raise RemoteError("https://example.org/bg.jpg", "cannot be read: timed out after 30 s (3 tries)")

    with pytest.raises(RemoteError):
        attempts(0, 3, attempt, "never")
    assert calls == [0]  # not retried as if the file were damaged


def test_remote_error_in_a_read_stops_instead_of_skipping():
    def read(events):
        raise RemoteError("hf://datasets/x/y.zip", "cannot reach the Hugging Face Hub")

    with pytest.raises(RemoteError):
        read_outcome(0, read)


def test_remote_failure_inside_a_recipe_stops_the_sample(hhm, monkeypatch):
    recipe = i_him_recipe(hhm)
    recipe.prepare()
    assert recipe.make(0).sample is not None

    def unreachable(path):
        raise RemoteError(path, "cannot be read: connection refused (3 tries)")

    monkeypatch.setattr(image_him_synth.gate, "read_file", unreachable)
    with pytest.raises(RemoteError, match="connection refused"):
        recipe.make(0)


def test_remote_failure_stops_a_build_instead_of_skipping(hhm, tmp_path, monkeypatch):
    from conftest import build_i_him

    def unreachable(path):
        raise RemoteError(path, "cannot be read: timed out after 30 s (3 tries)")

    monkeypatch.setattr(image_him_synth.gate, "read_file", unreachable)
    with pytest.raises(RemoteError, match="timed out"):
        build_i_him(hhm, tmp_path / "out", num_samples=4)
    assert not list((tmp_path / "out").rglob("*.parquet"))  # no shard of counted skips


def test_last_item_keeps_one_value_and_its_source_error_and_pickles_empty():
    import pickle

    from mattehub.recipes.outcomes import LastItem

    made = []

    def make(key):
        made.append(key)
        if key == "bad":
            raise SourceError("bad.png", "is truncated")
        return key.upper()

    cache = LastItem()
    assert cache.get("a", lambda: make("a")) == "A" and cache.get("a", lambda: make("a")) == "A"
    for _ in range(2):
        with pytest.raises(SourceError, match="bad.png: is truncated"):
            cache.get("bad", lambda: make("bad"))
    assert cache.get("a", lambda: make("a")) == "A"
    assert made == ["a", "bad", "a"]
    copy = pickle.loads(pickle.dumps(cache))
    assert copy.get("a", lambda: "fresh") == "fresh"


def test_background_attempts_say_how_many_draws():
    from mattehub.recipes.outcomes import MAX_ATTEMPTS, background_attempts

    def attempt(number, events):
        raise RedrawError(f"bg{number}.jpg", "is truncated")

    outcome = background_attempts(3, attempt)
    assert outcome.events[-1] == {"kind": "skipped_sample",
                                  "reason": f"no readable background in {MAX_ATTEMPTS} draws"}
    assert sum(e["kind"] == "bad_input" for e in outcome.events) == MAX_ATTEMPTS
