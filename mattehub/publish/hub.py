"""Publishing an output folder as a Hub dataset repo (``mattehub push``).

``push_folder`` first runs the local checks of ``mattehub.publish.push`` (verify, cards consistent
with the split summaries, every declared config loads one row per split), refusing the
push on any problem; ``dry_run=True`` stops there, after listing every file that would be
uploaded, and makes no network call at all. A real push then:

1. takes the token from huggingface_hub's standard places (``huggingface_hub.get_token()``:
   ``HF_TOKEN``, then the token file ``hf auth login`` writes); none is an error;
2. ``create_repo(repo_type="dataset", exist_ok=True)`` (``--private`` applies to a repo it
   creates; an existing repo keeps its visibility), then ``create_branch(exist_ok=True)``
   for a ``--revision`` other than ``main`` and ``refs/...``;
3. ``upload_folder`` of the (staged) folder with ``commit_message`` and ``revision``.

Why ``upload_folder`` and not ``upload_large_folder``: ``upload_folder`` takes the commit
message and the revision in every huggingface_hub this project supports (>=1.0), while
``upload_large_folder`` takes neither (and is absent from some installs, e.g. 2.4.0). In
recent huggingface_hub (2.4) with ``hf_xet`` installed, ``upload_folder`` itself uploads big
folders in resumable batches of commits; re-running an interrupted push sends only what is
missing. Nothing is deleted
from the repo: files of configs pushed earlier stay, undeclared by a ``--config`` card.

The token never appears in what mattehub prints or logs: every error of the Hub client
becomes a ``PushError`` (no traceback, raised outside the ``except`` so the client's
exception is not chained) whose text has the token, and anything shaped like a Hub token,
replaced by ``***``; while a push runs, log records and warnings are scrubbed the same way.
"""
from __future__ import annotations

import logging
import os
import re
import traceback
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from mattehub._version import __version__
from mattehub.publish.push import IGNORE, PushError, PushPlan, check, check_folder, human_size, list_files, load_code, select_configs, staged

__all__ = ["IGNORE", "PushError", "PushResult", "push_folder"]

TOKEN_SHAPE = re.compile(r"hf_[A-Za-z0-9_-]{6,}")
MASK = "***"


class Secrets:
    """Token values to scrub from every text a push shows."""

    def __init__(self) -> None:
        self.values: set[str] = set()

    @classmethod
    def from_environment(cls) -> "Secrets":
        """The tokens of huggingface_hub's standard places (read locally, never sent)."""
        secrets = cls()
        for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
            secrets.add(os.environ.get(name))
        path = _token_path()
        try:
            secrets.add(Path(path).read_text(encoding="utf-8")) if path else None
        except (OSError, UnicodeDecodeError):
            pass
        return secrets

    def add(self, value: str | None) -> None:
        value = (value or "").strip()
        if len(value) >= 4:
            self.values.add(value)

    def scrub(self, text: str) -> str:
        for value in sorted(self.values, key=len, reverse=True):
            text = text.replace(value, MASK)
        return TOKEN_SHAPE.sub("hf_" + MASK, text)


def _token_path() -> str | None:
    try:
        from huggingface_hub import constants

        return constants.HF_TOKEN_PATH
    except (ImportError, AttributeError):
        return None


def token_source() -> str:
    """Where a push would take the token from, without reading it out (no network)."""
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        if os.environ.get(name, "").strip():
            return f"from the {name} environment variable (never shown)"
    path = _token_path()
    if path and Path(path).is_file():
        return f"from the token file {path} (never shown)"
    if os.environ.get("HF_OIDC_RESOURCE"):
        return "from an OIDC token exchange (HF_OIDC_RESOURCE)"
    return "none found: run `hf auth login` or set HF_TOKEN before pushing"


@contextmanager
def scrubbing(scrub: Callable[[str], str]) -> Iterator[None]:
    """Scrub every log record (message and traceback) and warning created meanwhile."""
    make_record, show_warning = logging.getLogRecordFactory(), warnings.showwarning

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string still gets scrubbed
            message = f"{record.msg} {record.args}"
        if record.exc_info and record.exc_info[0] is not None:
            message += "\n" + "".join(traceback.format_exception(*record.exc_info))
        record.msg, record.args, record.exc_info, record.exc_text = scrub(message), (), None, None
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return record

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        show_warning(scrub(str(message)), category, filename, lineno, file, line)

    logging.setLogRecordFactory(factory)
    warnings.showwarning = show
    try:
        yield
    finally:
        logging.setLogRecordFactory(make_record)
        warnings.showwarning = show_warning


@dataclass
class PushResult:
    """What ``push_folder`` did (or, for a dry run, would do)."""

    plan: PushPlan
    repo_id: str
    revision: str | None
    dry_run: bool
    load_code: str
    url: str | None = None
    commit_url: str | None = None


def check_repo_id(repo_id: str) -> str:
    """``repo_id`` if it is a full ``owner/name`` Hub repo id (the load lines need both)."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    problem = None
    try:
        validate_repo_id(repo_id)
    except HFValidationError as exc:
        problem = str(exc)
    if problem or repo_id.count("/") != 1:
        raise PushError(f"{repo_id!r} is not a Hub repo id: give owner/name, e.g. "
                        f"your-name/mattehub-i-him" + (f" ({problem})" if problem else ""))
    return repo_id


def push_folder(folder: str | Path, repo_id: str, private: bool = False, *,
                revision: str | None = None, message: str | None = None,
                configs: list[str] | None = None, dry_run: bool = False, progress: bool = True,
                say: Callable[[str], None] = print) -> PushResult:
    """Check ``folder`` and upload it (or, with ``configs``, those configs and cards declaring
    only them) to the dataset repo ``repo_id``; ``say`` receives the report as it goes."""
    folder = Path(folder)
    check_repo_id(repo_id)
    check_folder(folder)
    chosen = select_configs(folder, configs)
    secrets = Secrets.from_environment()
    where = f"dataset repo {repo_id}" + (f" (revision {revision})" if revision else "")
    with scrubbing(secrets.scrub), staged(folder, chosen) as root:
        say(f"checking {folder} (configs: {', '.join(chosen)})")
        plan = PushPlan(folder, root, chosen, checks=check(root, progress=progress))
        plan.files = list_files(root)
        code = load_code(root, repo_id, revision)
        result = PushResult(plan, repo_id, revision, dry_run, code)
        say("checks passed:\n" + "\n".join(f"  {line}" for line in plan.checks))
        if dry_run:
            say(f"dry run: nothing uploaded, no network call made. Would upload to {where}:\n"
                + plan.format_files())
            say(f"token: {token_source()}")
            say("once pushed, load it with:\n\n" + code)
            return result
        say(f"uploading {len(plan.files)} files ({human_size(plan.total_bytes)}) to {where}")
        _upload(result, private, message or default_message(chosen), secrets, progress)
    say(f"pushed {len(plan.files)} files to {result.url}"
        + (f"\ncommit: {result.commit_url}" if result.commit_url else ""))
    say("load it with:\n\n" + code)
    return result


def default_message(configs: list[str]) -> str:
    return f"Upload {', '.join(configs)} (mattehub {__version__})"


def _upload(result: PushResult, private: bool, message: str, secrets: Secrets,
            progress: bool) -> None:
    """The network part: token, repo, branch, one ``upload_folder``."""
    import huggingface_hub

    token = _call(secrets, "reading the Hugging Face token", huggingface_hub.get_token)
    if not token:
        raise PushError("no Hugging Face token found (looked at HF_TOKEN and the token file "
                        "of `hf auth login`): log in, or set HF_TOKEN to a token with write "
                        "access; nothing was uploaded")
    secrets.add(token)
    repo_id, revision = result.repo_id, result.revision
    api = _call(secrets, "starting the Hub client", huggingface_hub.HfApi, token=token)
    result.url = str(_call(secrets, f"creating the dataset repo {repo_id}", api.create_repo,
                           repo_id, repo_type="dataset", private=True if private else None,
                           exist_ok=True))
    if revision and revision != "main" and not revision.startswith("refs/"):
        _call(secrets, f"creating the branch {revision} of {repo_id}", api.create_branch,
              repo_id, branch=revision, repo_type="dataset", exist_ok=True)
    with _hub_progress(progress):
        info = _call(secrets, f"uploading to {repo_id}", api.upload_folder, repo_id=repo_id,
                     repo_type="dataset", folder_path=str(result.plan.root),
                     ignore_patterns=list(IGNORE), commit_message=message, revision=revision)
    commit_url = getattr(info, "commit_url", None)
    result.commit_url = secrets.scrub(str(commit_url)) if commit_url else None
    result.url = secrets.scrub(result.url)


@contextmanager
def _hub_progress(progress: bool) -> Iterator[None]:
    """huggingface_hub's progress bars off while uploading when ``progress`` is False."""
    from huggingface_hub.utils import (are_progress_bars_disabled, disable_progress_bars,
                                       enable_progress_bars)

    was_disabled = are_progress_bars_disabled()
    if not progress:
        disable_progress_bars()
    try:
        yield
    finally:
        if not progress and not was_disabled:
            enable_progress_bars()


def _call(secrets: Secrets, step: str, function, *args, **kwargs):
    """``function(*args, **kwargs)``; any exception becomes a scrubbed PushError."""
    try:
        return function(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - every Hub client error becomes a clear one
        failure = f"{step} failed: {type(exc).__name__}: {exc}"
        status = getattr(getattr(exc, "response", None), "status_code", None)
    hint = {401: "the token was refused: log in again (`hf auth login`) or set HF_TOKEN",
            403: "the token may not write to this repo: use a token with write access"
            }.get(status, "fix the cause and re-run the same command (files already "
                          "uploaded are not sent again)")
    raise PushError(secrets.scrub(f"{failure} ({hint})"))
