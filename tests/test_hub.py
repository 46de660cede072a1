"""``mattehub push``: checks before upload, the dry-run listing, the calls made to the Hub
client, the token kept out of every output, and the printed load lines. No network here:
a recording fake stands in for ``HfApi`` and dry runs run with sockets disabled."""
from __future__ import annotations

import json
import logging
import os
import re
import shutil
import socket
import warnings
from pathlib import Path
from types import SimpleNamespace

import huggingface_hub
import pytest
import yaml
from huggingface_hub import constants
from huggingface_hub.utils import filter_repo_objects

from conftest import build_i_him
from mattehub.build.run import BuildOptions, build
from mattehub.cli.main import main
from mattehub.families.video_him.standin import make_video_sources
from mattehub.publish.hub import PushError, push_folder
from mattehub.publish.push import check_cards
from mattehub.families.video_him.options import VideoHimOptions
from mattehub.families.video_him.recipe import VideoHimRecipe
from mattehub.build.sequence import ShardLimits

REPO = "me/shards"
TOKEN_ENV = "hf_EnvTokenForTestsOnly0123456789abcd"
TOKEN_FILE = "tok-from-the-token-file-XYZ-987654"   # not hf_-shaped: scrubbed by value


# --- fixtures ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_like(hhm, tmp_path_factory) -> Path:
    """i-him and v-him built into one folder, the v-him sources inside it under _sources/
    like the demo's, plus files push must skip (caches, temp files, .git) and one it must not."""
    out = tmp_path_factory.mktemp("push") / "mattehub-demo"
    build_i_him(hhm, out, num_samples=6, max_samples=4)
    sources = make_video_sources(out / "_sources" / "videos", hhm)
    build(VideoHimRecipe(VideoHimOptions(data_dir=str(sources), max_frames=3), seed=0),
          BuildOptions(out=out, num_samples=2, progress=False, limits=ShardLimits(max_samples=2)))
    for junk in (".cache/huggingface/download/x.lock", "i-him/.cache/old.bin", "README.md.tmp",
                 "preview/i-him/train.png.tmp-123", ".git/HEAD", "wds/.git/config"):
        (out / junk).parent.mkdir(parents=True, exist_ok=True)
        (out / junk).write_text("skip me")
    (out / "NOTES.txt").write_text("a file of the user's: uploaded with the rest")
    return out


def walk_minus_ignored(root: Path) -> dict[str, int]:
    """Every file under ``root`` except the demo sources, caches, temp files and .git: what
    a push of the whole folder uploads (written without mattehub's patterns)."""
    found = {}
    for folder, dirs, files in os.walk(root):
        rel_dir = Path(folder).relative_to(root)
        dirs[:] = [d for d in dirs if d not in (".cache", ".git")
                   and not (rel_dir == Path(".") and d == "_sources")]
        for name in files:
            if ".tmp-" in name or name.endswith(".tmp"):
                continue
            found[(rel_dir / name).as_posix()] = (Path(folder) / name).stat().st_size
    return found


def copy_of(folder: Path, tmp_path: Path) -> Path:
    target = tmp_path / folder.name
    shutil.copytree(folder, target)
    return target


class Offline(Exception):
    pass


@pytest.fixture
def no_network(monkeypatch):
    """Any Hub client, token lookup or socket connection raises."""
    def refuse(*args, **kwargs):
        raise Offline("network call attempted")

    monkeypatch.setattr(huggingface_hub, "HfApi", refuse)
    monkeypatch.setattr(huggingface_hub, "get_token", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


class FakeHTTPError(Exception):
    """Like the Hub client's HTTP errors: a response with a status, the request in the text."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.response = SimpleNamespace(status_code=status)


@pytest.fixture
def hub(monkeypatch):
    """A recording stand-in for ``HfApi``; set ``hub.fail`` to make upload_folder raise."""
    class FakeHub:
        calls: list = []
        uploads: list = []
        fail: Exception | None = None
        public_repos: set = set()

        def __init__(self, token=None, **kwargs):
            self.token = token
            FakeHub.calls.append(("HfApi", {"token": token, **kwargs}))

        def create_repo(self, repo_id, **kwargs):
            FakeHub.calls.append(("create_repo", repo_id, kwargs))
            return f"https://huggingface.co/datasets/{repo_id}"

        def create_branch(self, repo_id, **kwargs):
            FakeHub.calls.append(("create_branch", repo_id, kwargs))

        def repo_info(self, repo_id, **kwargs):
            FakeHub.calls.append(("repo_info", repo_id, kwargs))
            return SimpleNamespace(private=repo_id not in FakeHub.public_repos)

        def upload_folder(self, **kwargs):
            FakeHub.calls.append(("upload_folder", kwargs))
            root = Path(kwargs["folder_path"])
            files = {p.relative_to(root).as_posix(): p.stat().st_size
                     for p in root.glob("**/*") if p.is_file()}
            ignore = list(kwargs["ignore_patterns"]) + huggingface_hub.utils.DEFAULT_IGNORE_PATTERNS
            kept = {rel: files[rel] for rel in filter_repo_objects(sorted(files), ignore_patterns=ignore)}
            index = json.loads((root / "_stats" / "index.json").read_text())
            FakeHub.uploads.append({"repo_id": kwargs["repo_id"], "files": kept,
                                    "configs": card_config_names(root / "README.md"), "index": index})
            if FakeHub.fail is not None:
                logging.getLogger("fake_hub").warning("request failed with token %s", self.token)
                warnings.warn(f"retrying with Authorization: Bearer {self.token}")
                raise FakeHub.fail
            return SimpleNamespace(commit_url=f"https://huggingface.co/datasets/{kwargs['repo_id']}/commit/abc")

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeHub)
    return FakeHub


@pytest.fixture
def planted_token(tmp_path, monkeypatch):
    """A fake token in HF_TOKEN and another in the token file of a temp HF_HOME."""
    home = tmp_path / "hf-home"
    home.mkdir()
    (home / "token").write_text(TOKEN_FILE)
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(home / "token"))
    monkeypatch.setenv("HF_TOKEN", TOKEN_ENV)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.delenv("HF_OIDC_RESOURCE", raising=False)
    return home / "token"


@pytest.fixture
def token(monkeypatch, tmp_path):
    """A token for pushes that are not about the token."""
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-token-file"))
    monkeypatch.setenv("HF_TOKEN", TOKEN_ENV)
    monkeypatch.delenv("HF_OIDC_RESOURCE", raising=False)
    return TOKEN_ENV


def card_config_names(card: Path) -> list[str]:
    front = card.read_text(encoding="utf-8").split("---\n")[1]
    return sorted(entry["config_name"] for entry in yaml.safe_load(front)["configs"])


def push(capfd, *args: str) -> tuple[int, str, str]:
    code = main(["push", *map(str, args), "--no-progress"])
    out, err = capfd.readouterr()
    return code, out, err


def listed_files(out: str) -> dict[str, dict[str, int]]:
    """repo id -> the ``size  path`` lines a dry run lists for it."""
    repos: dict[str, dict[str, int]] = {}
    for block in re.split(r"^(?:would upload|staged in \S+) for dataset repo ", out, flags=re.MULTILINE)[1:]:
        repo = block.split(" ", 1)[0]
        repos[repo] = {m[2]: int(m[1].replace(",", ""))
                       for m in re.finditer(r"^\s*([\d,]+)  (\S+)$", block, re.MULTILINE)}
    return repos


def repo_split(files: dict[str, int], repo: str = REPO) -> dict[str, dict[str, int]]:
    """What each repo gets of an output folder's files (its cards re-rendered: left out)."""
    parquet = {p: n for p, n in files.items() if not p.startswith("wds/") and p != "README.md"}
    tars = {p[4:]: n for p, n in files.items() if p.startswith("wds/") and p != "wds/README.md"}
    tars.update({p: n for p, n in files.items() if p.split("/")[0] in ("_stats", "preview")})
    return {repo: parquet, repo + "-wds": tars}


def without_cards(repos: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """The listed files that come from the output folder: less each repo's root card and the
    clip configs' ``-preview`` configs, which staging makes (``mattehub.publish.thumbnails``)."""
    return {repo: {p: n for p, n in files.items()
                   if p != "README.md" and not p.split("/", 1)[0].endswith("-preview")}
            for repo, files in repos.items()}


def printed_code(out: str) -> str:
    return out.split("load it with:\n\n", 1)[1]


# --- dry run ----------------------------------------------------------------------------

def test_dry_run_lists_exactly_the_folder_minus_ignored_files(demo_like, no_network, capfd):
    before = walk_minus_ignored(demo_like)
    code, out, err = push(capfd, demo_like, REPO, "--dry-run")
    assert code == 0, err
    listed = listed_files(out)
    assert without_cards(listed) == repo_split(before)
    assert all("README.md" in files for files in listed.values())     # each repo's root card
    assert "v-him-preview/train-00000.parquet" in listed[REPO]           # the clip config's preview
    assert "NOTES.txt" in before and not any(p.startswith("_sources/") for p in before)
    for files in listed.values():
        assert f"{len(files)} files, {sum(files.values()):,d} bytes" in out
    assert "dry run: nothing uploaded, no network call made" in out
    assert "verify: OK" in out
    for name in ("i-him", "v-him", "i-him-wds", "v-him-wds"):
        assert f" {name} loads (train)" in out
    assert f"without mattehub: {REPO}: i-him loads (train)" in out
    assert f"without mattehub: {REPO}-wds: v-him-wds loads (train)" in out
    assert not (demo_like / ".cache" / "mattehub-push").exists()


def test_dry_run_of_one_config_lists_its_files_and_regenerated_cards(demo_like, no_network, capfd):
    card_before = (demo_like / "README.md").read_bytes()
    code, out, err = push(capfd, demo_like, REPO, "--dry-run", "--config", "v-him-wds")
    assert code == 0, err
    listed = listed_files(out)
    whole = walk_minus_ignored(demo_like)
    v_him = {p: n for p, n in whole.items() if "v-him" in p.split("/")}
    expected = repo_split({**v_him, "_stats/index.json": 0})
    assert {repo: set(files) for repo, files in without_cards(listed).items()} == {
        repo: set(files) for repo, files in expected.items()}
    assert all(listed[REPO][p] == whole[p] for p in v_him if not p.startswith("wds/"))
    assert listed[REPO]["README.md"] < whole["README.md"]       # regenerated: v-him only
    assert " v-him loads (train)" in out and "i-him" not in out
    assert (demo_like / "README.md").read_bytes() == card_before   # OUT is not changed
    assert not (demo_like / ".cache" / "mattehub-push").exists()


def test_push_of_one_config_uploads_cards_declaring_only_it(demo_like, hub, token, capfd):
    code, out, err = push(capfd, demo_like, REPO, "--config", "v-him")
    assert code == 0, err
    parquet, tars = hub.uploads
    assert (parquet["repo_id"], parquet["configs"]) == (REPO, ["v-him", "v-him-preview"])
    assert (tars["repo_id"], tars["configs"]) == (REPO + "-wds", ["v-him-wds"])
    assert list(parquet["index"]) == list(tars["index"]) == ["v-him"]
    _, kwargs = hub.calls[-1]
    assert kwargs["commit_message"].startswith("Upload v-him (mattehub ")
    assert not Path(kwargs["folder_path"]).exists()     # the staged view is removed


def test_unknown_config_is_refused_naming_the_folders_configs(demo_like, no_network, capfd):
    code, _, err = push(capfd, demo_like, REPO, "--dry-run", "--config", "nope")
    assert code == 2 and "--config nope: not in" in err and "i-him, v-him" in err


# --- refusals ---------------------------------------------------------------------------

def test_a_damaged_shard_refuses_the_push(built, tmp_path, hub, token, capfd):
    out = copy_of(built, tmp_path)
    shard = out / "i-him" / "train-000001.parquet"
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF
    shard.write_bytes(bytes(data))
    code, stdout, err = push(capfd, out, REPO)
    assert code == 2
    assert "mattehub: error: verify found" in err and "nothing was uploaded" in err
    assert "i-him/train-000001.parquet" in err and "Traceback" not in err
    assert hub.calls == []


@pytest.mark.parametrize("damage", ["data files", "features"])
def test_a_card_that_does_not_load_refuses_the_push(built, tmp_path, hub, token, capfd, damage):
    out = copy_of(built, tmp_path)
    card = out / "README.md"
    text = card.read_text(encoding="utf-8")
    if damage == "data files":
        broken = text.replace("path: i-him/train-*.parquet", "path: i-him/gone-*.parquet", 1)
    else:   # the first row cannot be cast to the declared features
        broken = text.replace("- name: alpha\n    dtype: image", "- name: matte\n    dtype: image", 1)
    assert broken != text
    card.write_text(broken, encoding="utf-8")
    code, _, err = push(capfd, out, REPO)
    assert code == 2 and "Traceback" not in err
    assert "verify found 1 problem" in err and "README.md: is not the card the split" in err
    assert hub.calls == []
    problems, _ = check_cards(out)   # the load check behind verify says why it fails
    assert any(p.startswith("README.md: config i-him does not load") and (
        "No (supported) data files found" if damage == "data files"
        else "column names don't match") in p for p in problems), problems


def test_a_stale_card_refuses_the_push(built, tmp_path, no_network, capfd):
    out = copy_of(built, tmp_path)
    card = out / "wds" / "README.md"
    card.write_text(card.read_text(encoding="utf-8").replace("i-him-wds", "other-wds"), encoding="utf-8")
    code, _, err = push(capfd, out, REPO, "--dry-run")
    assert code == 2 and "wds/README.md: is not the card the split summaries make" in err
    problems, _ = check_cards(out)   # the declared configs, checked behind verify
    assert "wds/README.md: does not declare config i-him-wds (the card is stale: re-run " \
           "`mattehub build` or `mattehub stats` to rewrite it)" in problems
    assert "wds/README.md: declares config other-wds whose split summaries are missing " \
           "(the card is stale)" in problems


def test_push_refuses_a_folder_without_card(tmp_path):
    with pytest.raises(PushError, match="not a mattehub output folder"):
        push_folder(tmp_path, REPO)
    (tmp_path / "_stats").mkdir()
    with pytest.raises(PushError, match="has no README.md dataset card"):
        push_folder(tmp_path, REPO)


@pytest.mark.parametrize("args, message", [
    (["me/a", "--repo-id", "me/b"], "two repo ids given"),
    ([], "push needs REPO_ID"),
    (["not-a-full-id"], "is not a Hub repo id: give owner/name"),
])
def test_repo_id_is_required_once_and_in_full(built, no_network, capfd, args, message):
    code, _, err = push(capfd, built, *args, "--dry-run")
    assert code == 2 and message in err


def test_no_token_refuses_before_any_repo_call(built, hub, monkeypatch, tmp_path, capfd):
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_OIDC_RESOURCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "absent"))
    code, _, err = push(capfd, built, REPO)
    assert code == 2 and "no Hugging Face token found" in err
    assert hub.calls == []


# --- the upload -------------------------------------------------------------------------

def test_push_creates_the_repo_and_branch_and_uploads_what_the_dry_run_lists(
        demo_like, hub, token, capfd):
    code, dry, err = push(capfd, demo_like, REPO, "--dry-run")
    assert code == 0, err
    code, out, err = push(capfd, demo_like, "--repo-id", REPO, "--private", "--revision", "dev",
                          "--message", "first shards")
    assert code == 0, err
    assert [call[0] for call in hub.calls] == ["HfApi"] + ["create_repo", "repo_info"] * 2 + [
        "create_branch", "upload_folder"] * 2
    assert hub.calls[0][1]["token"] == TOKEN_ENV
    for wanted in (REPO, REPO + "-wds"):      # every repo created and checked before any upload
        assert ("create_repo", wanted, {"repo_type": "dataset", "private": True, "exist_ok": True}) in hub.calls[:5]
        assert ("create_branch", wanted, {"branch": "dev", "repo_type": "dataset", "exist_ok": True}) in hub.calls
    uploads = [call[1] for call in hub.calls if call[0] == "upload_folder"]
    assert [u["repo_id"] for u in uploads] == [REPO, REPO + "-wds"]
    assert all(u["commit_message"] == "first shards" and u["revision"] == "dev" for u in uploads)
    assert all(not Path(u["folder_path"]).exists() for u in uploads)     # staged, then removed
    assert {u["repo_id"]: u["files"] for u in hub.uploads} == listed_files(dry)
    for repo in (REPO, REPO + "-wds"):
        assert f"pushed {len(listed_files(dry)[repo])} files to https://huggingface.co/datasets/{repo}" in out
        assert f"commit: https://huggingface.co/datasets/{repo}/commit/abc" in out


def test_push_to_main_creates_no_branch_and_public_keeps_the_default_visibility(built, hub, token, capfd):
    code, _, err = push(capfd, built, REPO, "--public")
    assert code == 0, err
    assert [call[0] for call in hub.calls] == ["HfApi", "create_repo", "create_repo",
                                               "upload_folder", "upload_folder"]
    assert hub.calls[1][2]["private"] is None and hub.calls[2][2]["private"] is None
    assert hub.calls[3][1]["revision"] is None


def test_a_public_repo_is_refused_for_configs_the_gate_keeps_private(built, hub, token, capfd):
    hub.public_repos = {REPO + "-wds"}
    code, _, err = push(capfd, built, REPO)
    assert code == 2 and f"{REPO}-wds exists and is public" in err and "i-him" in err
    assert not any(call[0] == "upload_folder" for call in hub.calls)
    hub.public_repos = set()


# --- the token --------------------------------------------------------------------------

def test_the_token_never_appears_in_output_logs_or_files(built, tmp_path, hub, planted_token,
                                                         capfd, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    out_dir = copy_of(built, tmp_path)
    seen, recorded = [], []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, out, err = push(capfd, out_dir, REPO, "--dry-run")            # 1. dry run
        assert code == 0 and "from the HF_TOKEN environment variable (never shown)" in out
        seen += [out, err]
        code, out, err = push(capfd, out_dir, REPO)                          # 2. a push
        assert code == 0, err
        seen += [out, err]
        hub.fail = FakeHTTPError(f"401 Client Error: Unauthorized for url https://huggingface.co"
                                 f"/api/datasets/{REPO}/commit/main (Authorization: Bearer "
                                 f"{TOKEN_ENV}; token file: {TOKEN_FILE})", 401)
        code, out, err = push(capfd, out_dir, REPO)                          # 3. it fails
        assert code == 2
        assert "uploading to me/shards failed: FakeHTTPError: 401 Client Error" in err
        assert "Bearer ***" in err and "the token was refused" in err and "Traceback" not in err
        seen += [out, err]
        monkeypatch.delenv("HF_TOKEN")                                       # 4. token file
        code, out, err = push(capfd, out_dir, REPO)
        assert code == 2 and "token file: ***" in err and "Bearer hf_***" in err
        seen += [out, err]
        recorded = [str(w.message) for w in caught]
    assert [call[1]["token"] for call in hub.calls if call[0] == "HfApi"] == [TOKEN_ENV] * 2 + [TOKEN_FILE]
    assert any("Bearer ***" in text for text in recorded)                   # warnings scrubbed
    assert any("request failed with token ***" in r.getMessage() for r in caplog.records)
    seen += recorded + [caplog.text] + [r.getMessage() for r in caplog.records]
    for root in (tmp_path, out_dir):
        seen += [p.read_bytes().decode("utf-8", "replace") for p in root.rglob("*")
                 if p.is_file() and p != planted_token]
    for text in seen:
        assert TOKEN_ENV not in text and TOKEN_FILE not in text


@pytest.mark.filterwarnings("ignore:retrying with Authorization")
def test_hub_errors_become_one_clear_line(built, hub, token, capfd):
    hub.fail = FakeHTTPError("403 Forbidden: you cannot write to me/shards", 403)
    code, out, err = push(capfd, built, REPO)
    assert code == 2
    assert err.startswith("mattehub: error: uploading to me/shards failed: FakeHTTPError: 403")
    assert "use a token with write access" in err and "Traceback" not in err


# --- load lines -------------------------------------------------------------------------

def run_load_code(code: str, stage: Path) -> list[dict]:
    """Run printed load lines against the repos staged in ``stage``: one row per line."""
    local = code
    for repo in (REPO + "-wds", REPO):
        local = local.replace(json.dumps(repo), json.dumps((stage / repo).as_posix()))
    assert f'"{REPO}' not in local
    lines = []
    for line in local.splitlines():
        lines.append(line)
        if line.startswith("ds = "):
            lines.append("rows.append(next(iter(ds)))")
    namespace = {"rows": []}
    exec(compile("\n".join(lines), "printed load lines", "exec"), namespace)  # noqa: S102
    return namespace["rows"]


def test_printed_load_lines_run_against_the_staged_repos(demo_like, hub, token, capfd, tmp_path):
    code, staged, err = push(capfd, demo_like, REPO, "--stage", tmp_path / "stage")
    assert code == 0, err
    assert hub.calls == []                          # --stage uploads nothing
    code, pushed, err = push(capfd, demo_like, REPO)
    assert code == 0, err
    assert printed_code(staged) == printed_code(pushed)
    printed = printed_code(staged)
    assert f'ds = load_dataset("{REPO}", "i-him", split="train", streaming=True)' in printed
    assert f'ds = load_dataset("{REPO}-wds", "v-him-wds", split="train", streaming=True)' in printed
    rows = run_load_code(printed, tmp_path / "stage")
    assert len(rows) == 5                          # i-him, v-him, v-him-preview: Parquet; the tars
    assert {"image", "alpha", "instance_alphas"} <= set(rows[0])
    assert {"frames", "instance_alphas"} <= set(rows[1])
    assert set(rows[2]) == {"__key__", "first_frame", "first_alpha"}
    assert {"image.jpg", "instance_alphas.mp"} <= set(rows[3])
    assert all(hasattr(image, "size") for image in rows[3]["instance_alphas.mp"])   # decoded lists
    assert "frames.mp" in rows[4]


def test_load_lines_name_the_revision(built, no_network, capfd):
    code, out, err = push(capfd, built, REPO, "--dry-run", "--revision", "refs/pr/1")
    assert code == 0, err
    printed = printed_code(out)
    assert f'load_dataset("{REPO}", "i-him", split="train", revision="refs/pr/1", streaming=True)' in printed
    assert f'load_dataset("{REPO}-wds", "i-him-wds", split="train", revision="refs/pr/1", streaming=True)' in printed


def test_push_help_describes_the_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["push", "--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for needle in ("mattehub push OUT REPO_ID", "--dry-run", "--config C", "--revision R",
                   "--message M", "--private", "--repo-id", "HF_TOKEN", "never printed",
                   "load_dataset", "REPO_ID-wds", "--i-hold-rights LICENCE_ID", "--public",
                   "--stage DIR", "never imports mattehub"):
        assert needle in text, needle
