"""The command line and the packaged files a wheel must carry."""
import subprocess
import sys
import zipfile
from pathlib import Path

import datasets

from mattehub.cli.main import main
from mattehub.output.layout import OutputLayout

REPO = Path(__file__).resolve().parents[1]


def test_build_help_lists_recipe_options(capsys):
    try:
        main(["build", "--help"])
    except SystemExit as exit_:
        assert exit_.code == 0
    text = capsys.readouterr().out
    for option in ("--image-root", "--bg-root", "--invalid-names", "--workers", "--format",
                   "--max-samples-per-shard", "--num-samples", "--seed", "--split"):
        assert option in text


def test_missing_sources_is_a_clean_error(tmp_path, capsys):
    code = main(["build", "i-him", "--out", str(tmp_path), "--image-root", str(tmp_path / "nope"),
                 "--bg-root", str(tmp_path), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and f"{tmp_path / 'nope'}: has no images/ folder" in err
    assert "Traceback" not in err


def test_build_parquet_only_via_cli(hhm, tmp_path):
    code = main(["build", "i-him", "--out", str(tmp_path), "--num-samples", "3", "--format",
                 "parquet", "--image-root", str(hhm.image_root), "--bg-root", str(hhm.bg_root),
                 "--no-progress"])
    assert code == 0
    assert list((tmp_path / "i-him").glob("*.parquet")) and not (tmp_path / "wds").exists()
    rows = list(datasets.load_dataset(str(tmp_path), "i-him", split="train", streaming=True))
    assert len(rows) == 3


def test_script_without_arguments_builds_the_demo(tmp_path):
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "build_shards.py")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "load_dataset('mattehub-demo', 'i-him'" in result.stdout
    demo = tmp_path / "mattehub-demo"
    assert (demo / "README.md").is_file() and (demo / "wds" / "README.md").is_file()
    assert OutputLayout(demo).preview("i-him", "train").stat().st_size > 10_000
    rows = list(datasets.load_dataset(str(demo / "wds"), "i-him-wds", split="train", streaming=True))
    assert len(rows) == 48


def test_wheel_ships_builders_and_card_templates(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path),
                    str(REPO)], check=True, capture_output=True, timeout=600)
    wheel = next(tmp_path.glob("mattehub-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "mattehub/builders/mattehub_builder.py" in names
    assert "mattehub/dataset_cards/card.md" in names and "mattehub/dataset_cards/i-him.md" in names
    packages = {p.parent.relative_to(REPO).as_posix() for p in (REPO / "mattehub").rglob("__init__.py")}
    for package in packages:  # every package of the source tree is in the wheel
        assert f"{package}/__init__.py" in names, package


def test_python_dash_m_and_version():
    from mattehub import __version__

    result = subprocess.run([sys.executable, "-m", "mattehub", "--version"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == f"mattehub {__version__}"
    helped = subprocess.run([sys.executable, "-m", "mattehub", "verify", "--help"],
                            capture_output=True, text=True, timeout=120)
    assert helped.returncode == 0 and "exit 1 on any problem" in " ".join(helped.stdout.split())
