"""``mattehub push``: the calls made to the Hub client (no network here, so a recorder stands in)."""
import huggingface_hub
import pytest

from mattehub.errors import BuildError
from mattehub.hub import push_folder


class RecordingApi:
    calls: list = []

    def create_repo(self, repo_id, **kwargs):
        self.calls.append(("create_repo", repo_id, kwargs))
        return f"https://huggingface.co/datasets/{repo_id}"

    def upload_large_folder(self, **kwargs):
        self.calls.append(("upload_large_folder", kwargs))


def test_push_uploads_the_folder_as_a_dataset_without_demo_sources(built, monkeypatch):
    RecordingApi.calls = []
    monkeypatch.setattr(huggingface_hub, "HfApi", RecordingApi)
    url = push_folder(built, "me/shards", private=True)
    assert url.endswith("datasets/me/shards")
    (_, repo, create), (_, upload) = RecordingApi.calls
    assert repo == "me/shards" and create == {"repo_type": "dataset", "private": True, "exist_ok": True}
    assert upload["repo_type"] == "dataset" and upload["folder_path"] == str(built)
    assert "_sources/**" in upload["ignore_patterns"]


def test_push_refuses_a_folder_without_card(tmp_path):
    with pytest.raises(BuildError, match="has no README.md dataset card"):
        push_folder(tmp_path, "me/shards")
