"""``--with trimap``: any config with an ``alpha`` gains a lossless ``trimap`` field.

The wrapper delegates everything to the config's own recipe and adds, after ``alpha``, the
trimap computed from the alpha bytes the recipe made (decoded once, in the worker), with
``mattehub.synthesis.trimap`` and the chosen kind: the field equals ``mattehub.trimap(alpha, kind)``
on the loaded sample (for ``random``, with ``seed=trimap_seed(config, seed, index)``).
"""
from __future__ import annotations

import hashlib
from dataclasses import replace

import cv2
import numpy as np

from mattehub.contract import codecs
from mattehub.contract.schema import IMAGE, FieldSpec, Schema
from mattehub.core.errors import BuildError
from mattehub.contract.sample import EncodedSample, Outcome
from mattehub.synthesis.trimap import trimap, trimap_seed

TRIMAP = "trimap"


class WithTrimap:
    """A recipe plus a ``trimap`` field (see the module docstring)."""

    def __init__(self, inner, kind: str) -> None:
        self.inner, self.kind = inner, kind
        self._order: list[str] | None = None
        """The field order of ``schema`` (computed on the first sample: the inner schema
        may need the sources scanned)."""

    def __getattr__(self, name: str):
        if name == "inner":  # unpickling: not set yet
            raise AttributeError(name)
        return getattr(self.inner, name)

    def schema(self) -> Schema:
        schema = self.inner.schema()
        names = [spec.name for spec in schema.fields]
        if "alpha" not in names or TRIMAP not in schema.family_fields:
            raise BuildError(f"--with trimap needs a config with an alpha field; {schema.config} "
                             f"has {', '.join(names)}")
        if TRIMAP in names:
            raise BuildError(f"{schema.config} already has a trimap field; leave out --with trimap")
        at = names.index("alpha") + 1
        spec = FieldSpec(TRIMAP, IMAGE, "png", f"{self.kind} trimap of alpha: 0, 128 unknown, 255")
        return replace(schema, fields=schema.fields[:at] + (spec,) + schema.fields[at:])

    def prepare(self) -> dict:
        report = self.inner.prepare()
        self.schema()  # refuse an unsuitable config before any sample is made
        return report

    def make(self, index: int) -> Outcome:
        return self._with_trimap(self.inner.make(index))

    def make_many(self, indices: range) -> list[Outcome]:
        return [self._with_trimap(outcome) for outcome in self.inner.make_many(indices)]

    def _with_trimap(self, outcome: Outcome) -> Outcome:
        if outcome.sample is None:
            return outcome
        fields = outcome.sample.fields
        alpha = cv2.imdecode(np.frombuffer(fields["alpha"], np.uint8), cv2.IMREAD_GRAYSCALE)
        seed = trimap_seed(self.inner.name, self.inner.seed, outcome.index) if self.kind == "random" else None
        encoded = codecs.encode_png(trimap(alpha, self.kind, seed=seed))
        if self._order is None:
            self._order = [spec.name for spec in self.schema().fields]
        merged = dict(fields, trimap=encoded)
        sample = EncodedSample(outcome.sample.index, outcome.sample.key, {n: merged[n] for n in self._order})
        return Outcome(outcome.index, sample, outcome.events)

    def source_fingerprint(self) -> str:
        inner = self.inner.source_fingerprint()
        return hashlib.sha256(f"{inner}|with trimap {self.kind}".encode()).hexdigest()

    def describe(self) -> dict:
        described = self.inner.describe()
        described["options"] = dict(described["options"], with_fields=[TRIMAP], trimap_kind=self.kind)
        return described
