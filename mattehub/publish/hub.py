"""Publishing an output folder as two Hub dataset repos (``mattehub push``).

``push_folder`` first applies the licence gate (``mattehub.publish.licence_gate``: refuse,
private or public per config), then runs the local checks of ``mattehub.publish.push`` (verify,
cards consistent with the split summaries, every declared config loads one row per split),
stages the Parquet repo ``REPO`` and the WebDataset repo ``REPO-wds``
(``mattehub.publish.repos``) and loads every config of both with plain ``datasets`` in a
process that never imports mattehub, refusing the push on any problem; ``dry_run=True`` stops
there, after listing every file each repo would get, and ``stage=DIR`` after writing those
files into ``DIR/REPO`` and ``DIR/REPO-wds``; neither makes a network call. A real push then:

1. takes the token from huggingface_hub's standard places (``huggingface_hub.get_token()``:
   ``HF_TOKEN``, then the token file ``hf auth login`` writes); none is an error;
2. per repo, ``create_repo(repo_type="dataset", exist_ok=True)``, private when ``--private``
   or the licence gate says so (a repo that exists keeps its visibility, and a public one is
   refused when the gate wants private: ``repo_info``), before any upload;
3. per repo, ``create_branch(exist_ok=True)`` for a ``--revision`` other than ``main`` and
   ``refs/...``, and ``upload_folder`` of its staged folder with ``commit_message`` and
   ``revision``.

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from mattehub._version import __version__
from mattehub.publish.licence_gate import (PRIVATE, Decision, check_decisions, decide_all,
                                           format_decisions, repo_private)
from mattehub.publish.push import (IGNORE, PushError, PushPlan, check, check_folder, format_files,
                                   human_size, select_configs, staged)
from mattehub.publish.repos import HubRepo, check_repos, load_code, repo_folder, repo_ids, stage_repos
from mattehub.publish.viewer import config_views, viewer_notes, viewer_report

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
    """What ``push_folder`` did (or, for a dry run or a stage, would do)."""

    plan: PushPlan
    repo_id: str
    revision: str | None
    dry_run: bool
    load_code: str
    decisions: list[Decision] = field(default_factory=list)
    private: bool = False
    """Whether the repos are created private (the licence gate or ``--private``)."""
    repos: list[HubRepo] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    commit_urls: list[str] = field(default_factory=list)

    @property
    def url(self) -> str | None:
        """The Parquet repo's URL (the first repo pushed)."""
        return self.urls[0] if self.urls else None


def check_repo_id(repo_id: str) -> str:
    """``repo_id`` if it is a full ``owner/name`` Hub repo id (the load lines need both)."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    problem = None
    try:
        for rid in repo_ids(repo_id).values():
            validate_repo_id(rid)
    except HFValidationError as exc:
        problem = str(exc)
    if problem or repo_id.count("/") != 1:
        raise PushError(f"{repo_id!r} is not a Hub repo id: give owner/name, e.g. "
                        f"your-name/mattehub-i-him" + (f" ({problem})" if problem else ""))
    return repo_id


def push_folder(folder: str | Path, repo_id: str, private: bool = False, *,
                revision: str | None = None, message: str | None = None,
                configs: list[str] | None = None, dry_run: bool = False, progress: bool = True,
                say: Callable[[str], None] = print, public: bool = False,
                rights: list[str] | None = None, stage: str | Path | None = None) -> PushResult:
    """Check ``folder`` and upload its Parquet configs to ``repo_id`` and its WebDataset
    configs to ``repo_id-wds`` (or, with ``configs``, only those configs); the licence gate
    first decides per config (``rights``: ``--i-hold-rights``; ``public``: ``--public``).
    ``stage``: write the repos' files into that folder and upload nothing. ``say``
    receives the report as it goes."""
    folder = Path(folder)
    check_repo_id(repo_id)
    check_folder(folder)
    if private and public:
        raise PushError("--private and --public contradict each other: give one")
    chosen = select_configs(folder, configs)
    decisions = decide_all(chosen, rights, public)
    say(format_decisions(decisions, private))
    check_decisions(decisions)
    secrets = Secrets.from_environment()
    with scrubbing(secrets.scrub), staged(folder, chosen) as root, \
            repo_folder(folder, stage) as dest:
        say(f"checking {folder} (configs: {', '.join(chosen)})")
        plan = PushPlan(folder, root, chosen, checks=check(root, progress=progress))
        clips = [view.config for view in config_views(root) if view.clip]
        repos = stage_repos(root, repo_id, dest, viewer_notes(root), clips)
        plan.checks += check_repos(repos)
        result = PushResult(plan, repo_id, revision, dry_run or stage is not None,
                            load_code(repos, revision), decisions,
                            repo_private(decisions, private), repos)
        say("checks passed:\n" + "\n".join(f"  {line}" for line in plan.checks))
        say(viewer_report(root))
        if result.dry_run:
            _report_plan(result, stage, say)
            return result
        _upload(result, message or default_message(chosen), secrets, progress, say)
    for repo, url, commit in zip(repos, result.urls, result.commit_urls):
        say(f"pushed {len(repo.files)} files to {url}" + (f"\ncommit: {commit}" if commit else ""))
    say("load it with:\n\n" + result.load_code)
    return result


def _where(repo: HubRepo, result: PushResult) -> str:
    return f"dataset repo {repo.label}" + (f" (revision {result.revision})" if result.revision else "")


def _report_plan(result: PushResult, stage: str | Path | None, say: Callable[[str], None]) -> None:
    """What a dry run or a stage prints: each repo's files, the token, the load lines."""
    visibility = "private" if result.private else "the Hub's default visibility"
    for repo in result.repos:
        what = f"staged in {repo.root}" if stage is not None else "would upload"
        say(f"{what} for {_where(repo, result)}, {visibility}:\n" + format_files(repo.files))
    say(("staged: nothing uploaded, no network call made" if stage is not None
         else "dry run: nothing uploaded, no network call made") + f". Token: {token_source()}")
    say("once pushed, load it with:\n\n" + result.load_code)


def default_message(configs: list[str]) -> str:
    return f"Upload {', '.join(configs)} (mattehub {__version__})"


def _upload(result: PushResult, message: str, secrets: Secrets, progress: bool,
            say: Callable[[str], None]) -> None:
    """The network part: token; each repo created (private when the gate says so) and its
    visibility checked before any upload; then per repo its branch and one ``upload_folder``."""
    import huggingface_hub

    token = _call(secrets, "reading the Hugging Face token", huggingface_hub.get_token)
    if not token:
        raise PushError("no Hugging Face token found (looked at HF_TOKEN and the token file "
                        "of `hf auth login`): log in, or set HF_TOKEN to a token with write "
                        "access; nothing was uploaded")
    secrets.add(token)
    api = _call(secrets, "starting the Hub client", huggingface_hub.HfApi, token=token)
    for repo in result.repos:
        result.urls.append(secrets.scrub(str(_call(
            secrets, f"creating the dataset repo {repo.repo_id}", api.create_repo, repo.repo_id,
            repo_type="dataset", private=True if result.private else None, exist_ok=True))))
        if result.private:
            info = _call(secrets, f"reading {repo.repo_id}", api.repo_info, repo.repo_id,
                         repo_type="dataset")
            if getattr(info, "private", None) is False:
                raise PushError(f"{repo.repo_id} exists and is public, but the licence gate keeps "
                                f"{', '.join(d.config for d in result.decisions if d.action == PRIVATE) or 'these configs'} "
                                "private: make the repo private, push to a new repo, or pass "
                                "--public; nothing was uploaded")
    for repo in result.repos:
        say(f"uploading {len(repo.files)} files ({human_size(sum(s for _, s in repo.files))}) "
            f"to {_where(repo, result)}")
        revision = result.revision
        if revision and revision != "main" and not revision.startswith("refs/"):
            _call(secrets, f"creating the branch {revision} of {repo.repo_id}", api.create_branch,
                  repo.repo_id, branch=revision, repo_type="dataset", exist_ok=True)
        with _hub_progress(progress):
            info = _call(secrets, f"uploading to {repo.repo_id}", api.upload_folder,
                         repo_id=repo.repo_id, repo_type="dataset", folder_path=str(repo.root),
                         ignore_patterns=list(IGNORE), commit_message=message, revision=revision)
        commit_url = getattr(info, "commit_url", None)
        result.commit_urls.append(secrets.scrub(str(commit_url)) if commit_url else "")


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
