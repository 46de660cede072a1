"""Publishing an output folder as a Hub dataset repo (``mattehub push``).

Uses ``HfApi.upload_large_folder``: resumable and multi-worker, the path the Hub
recommends for big dataset folders. Demo sources and temp files are not uploaded.
"""
from __future__ import annotations

from pathlib import Path

from .errors import BuildError

IGNORE = ["_sources/**", "**/*.tmp-*", "**/.cache/**"]


def push_folder(folder: Path, repo_id: str, private: bool = False) -> str:
    """Create (if needed) the dataset repo and upload ``folder``; returns the repo URL."""
    from huggingface_hub import HfApi

    if not (Path(folder) / "README.md").is_file():
        raise BuildError(f"{folder} has no README.md dataset card: build a config into it first")
    api = HfApi()
    url = api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    api.upload_large_folder(repo_id=repo_id, folder_path=str(folder), repo_type="dataset",
                            ignore_patterns=IGNORE)
    return str(url)
