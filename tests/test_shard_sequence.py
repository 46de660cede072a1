"""``ShardSequence`` records each shard file's size and digests as the writers hashed them while
writing: equal to hashing the finished files, and without reading any file back. Per sample it
does only what the sample needs (one size, no event work without events)."""
from __future__ import annotations

import builtins
import io
import json
from unittest import mock

from mattehub.build.sequence import ShardLimits, ShardSequence, file_digests
from mattehub.contract.sample import EncodedSample, Outcome
from mattehub.output.layout import OutputLayout
from test_formats import SCHEMA, _samples

FORMATS = ("parquet", "webdataset")
SKIP = {"kind": "skipped", "reason": "no foreground"}


def _no_reads(real_open):
    def opener(file, mode="r", *args, **kwargs):
        assert any(flag in mode for flag in "wax") and "+" not in mode, f"{file} opened to read"
        return real_open(file, mode, *args, **kwargs)
    return opener


def test_finished_shards_carry_the_digests_of_their_files_without_reading_them(tmp_path):
    layout = OutputLayout(tmp_path)
    sequence = ShardSequence(layout, SCHEMA, "train", FORMATS, ShardLimits(max_samples=3), {})
    outcomes = [Outcome(s.index, s) for s in _samples()]
    outcomes.append(Outcome(5, None, [SKIP]))
    with mock.patch("mattehub.build.sequence.file_digests", side_effect=AssertionError("re-read")), \
            mock.patch.object(builtins, "open", _no_reads(builtins.open)), \
            mock.patch.object(io, "open", _no_reads(io.open)):
        for outcome in outcomes:
            sequence.add(outcome)
        sequence.finish()
    assert [stats["samples"] for stats in sequence.completed] == [3, 2]
    for number, stats in enumerate(sequence.completed):
        assert stats == json.loads(layout.shard_stats("t", "train", number).read_text())
        for fmt in FORMATS:
            final = layout.shard("t", "train", number, fmt)
            expected = file_digests(final, with_md5=fmt == "webdataset")
            assert stats["files"][fmt] == dict(expected, path=layout.relative(final))
            assert list(stats["files"][fmt]) == [*expected, "path"]  # the order the stats had


def test_each_sample_is_sized_once_and_only_events_are_redacted(tmp_path):
    redact = mock.Mock(side_effect=lambda events: events)
    sequence = ShardSequence(OutputLayout(tmp_path), SCHEMA, "train", FORMATS, ShardLimits(), {},
                             redact=redact)
    with mock.patch.object(EncodedSample, "payload_bytes", autospec=True,
                           side_effect=EncodedSample.payload_bytes) as sized:
        for sample in _samples():
            sequence.add(Outcome(sample.index, sample))
        sequence.add(Outcome(5, None, [SKIP]))
        sequence.finish()
    assert sized.call_count == 5
    assert redact.call_args_list == [mock.call([SKIP])]
    assert sequence.completed[0]["skipped_samples"] == [{"index": 5, "reasons": ["no foreground"]}]
