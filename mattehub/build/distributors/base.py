"""What every distributor shares: its settings and what it returns. The back-ends import
this module, never the package, so the package can list them without an import circle."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DistributorSettings:
    """Back-end options: ``workers`` (local processes), ``address`` (Ray cluster),
    ``retries`` (Ray: reruns of a task whose worker died), ``progress``."""

    workers: int = 1
    address: str | None = None
    retries: int = 3
    progress: bool = True


@dataclass
class Distributed:
    """What a distributor did: stats of the shards written, failures by shard number."""

    written: list[dict] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
