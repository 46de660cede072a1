"""The commands besides ``build`` and ``finalize``: verify, reassemble, export, stats,
evaluate, push and demo. Each has a parser function (cheap: no data stack imported, so
``mattehub --help`` is fast) and a run function that imports what it needs."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from mattehub.cli.arguments import add_no_progress, add_split, split_of
from mattehub.cli.build import add_http_arguments, add_option
from mattehub.core.errors import BuildError
from mattehub.core.jsonio import write_json
from mattehub.families.registry import CONFIG_NAMES, CONFIGS
from mattehub.families.releases.options import ReleaseOptions
from mattehub.options.argtypes import positive_int
from mattehub.options.declare import declared
from mattehub.contract.choices import EVALUATION_TRIMAP_KINDS, MATCHINGS, PROTOCOLS


def add_reassemble_parser(commands) -> None:
    """``mattehub reassemble``."""
    parser = commands.add_parser("reassemble", help="join a split zip (X.z01.. + X.zip) into one "
                                                    "standard zip, like `zip -F`, streaming")
    parser.add_argument("archive", help="the last part, X.zip (local, hf:// or http(s)://)")
    parser.add_argument("--out", required=True, type=Path,
                        help="the joined zip to write (not one of the parts)")
    add_no_progress(parser)
    add_http_arguments(parser)


def add_verify_parser(commands) -> None:
    """``mattehub verify``."""
    parser = commands.add_parser(
        "verify", help="check every shard of an output folder against its stats (exit 1 on any problem)",
        description="Check every shard of a mattehub output folder against its stats: present, "
                    "sha256, row count, every field decodes, sizes agree within a sample, instance "
                    "mattes consistent with alpha; and the files beside them: split summaries, "
                    "build records, wids indexes, preview sheets, _stats/index.json and both "
                    "cards. Prints a report naming each problem's file (shard, row); exit 1 on "
                    "any problem, 0 when all is well.")
    parser.add_argument("folder", help="a folder written by `mattehub build`, or the fsspec URL "
                                       "it was built to (memory://, s3://, file://...)")
    add_no_progress(parser)


def add_export_parser(commands) -> None:
    """``mattehub export``: every config with an exporter in the registry."""
    exportable = [name for name in CONFIG_NAMES if CONFIGS[name].export]
    parser = commands.add_parser(
        "export", help="write a built config back as the folders its training code reads",
        description="Write one split of a config in a mattehub output folder back in the layout "
                    "its upstream code reads: i-him / image releases -> MaGGIe images/, alphas/, "
                    "masks/; v-him / video releases -> MaGGIe fgr/, alphas/; aim -> train/{fg,"
                    "alpha,bg,merged}; composition-1k -> test/{merged,trimaps,alpha_copy}; duts "
                    "-> DUTS-TR/DUTS-TR-{Image,Mask}; surreal-alpha -> eps/, alpha/, bg/; "
                    "overlay-depth -> Dataset/ and label_data.csv. Bytes are written as stored "
                    "(no re-encoding; a file whose bytes are PNG gets a .png name), each file "
                    "atomically, only inside --out. See docs/export.md.")
    parser.add_argument("config", choices=exportable, metavar="CONFIG",
                        help=f"config to export: {', '.join(exportable)}")
    parser.add_argument("folder", type=Path, help="a folder written by `mattehub build`")
    parser.add_argument("--out", required=True, type=Path,
                        help="folder to write (new or empty, unless --overwrite)")
    parser.add_argument("--overwrite", action="store_true",
                        help="write into a non-empty --out, replacing files at the paths the "
                             "export writes (other files are left alone)")
    add_split(parser)
    add_no_progress(parser)


def add_stats_parser(commands) -> None:
    """``mattehub stats``."""
    parser = commands.add_parser(
        "stats", help="per-channel statistics of a built config's images (printed, and added "
                      "to the dataset card)",
        description="One streaming pass over a built split: per channel of each image field, "
                    "the pooled pixel mean and std, the mean of per-image means and the std of "
                    "per-image stds (what the overlay-depth original dataset published as its "
                    "mean and 'STD'), and the mean of per-image stds. Printed as a table, saved "
                    "with the split's summary and shown in the dataset card.")
    parser.add_argument("config", choices=CONFIG_NAMES, help="config to measure")
    parser.add_argument("folder", type=Path, help="a folder written by `mattehub build`")
    add_split(parser)
    parser.add_argument("--fields", type=lambda text: [f for f in text.split(",") if f],
                        help="comma list of image fields (default: image, mask, depth, alpha "
                             "where the config has them)")
    parser.add_argument("--print-only", action="store_true",
                        help="print the table without writing it to the folder and its card")
    add_no_progress(parser)


def add_evaluate_parser(commands) -> None:
    """``mattehub evaluate``."""
    parser = commands.add_parser(
        "evaluate", help="score predicted mattes against a config's ground truth (SAD, MSE, "
                         "MAD, Grad, Conn; dtSSD, MESSDdt for clips), as a paper's code does",
        description="Score the PNG mattes in PRED_DIR (<key>.png; <key>/<k>.png per instance; "
                    "<key>/<t>/<k>.png per frame and instance) against the ground truth "
                    "streamed from --data-dir. --protocol picks whose evaluation is reproduced: "
                    "dim (the DIM/alphamatting.com definitions, whole image and unknown "
                    "region), maggie (MaGGIe's released code, quirks included: HIM2K, M-HIM2K, "
                    "V-HIM60 tables) or rvm (RVM's evaluate_lr.py: VideoMatte240K tables). "
                    "Missing predictions are scored as all-zero mattes and listed. Prints the "
                    "means; --json writes every sample's record. See docs/evaluation.md.")
    parser.add_argument("config", choices=CONFIG_NAMES, help="config of the ground truth")
    parser.add_argument("--data-dir", required=True,
                        help="a folder written by `mattehub build`, or a release")
    parser.add_argument("--pred", required=True, type=Path, metavar="PRED_DIR",
                        help="folder of predicted mattes (8-bit single-channel PNG; "
                             "write them with mattehub.evaluation.write_predictions)")
    add_split(parser)
    parser.add_argument("--protocol", choices=PROTOCOLS, default="dim",
                        help="whose evaluation to reproduce (default: %(default)s)")
    parser.add_argument("--trimap", dest="trimap_kind", choices=EVALUATION_TRIMAP_KINDS,
                        help="dim only: compute this trimap kind from the ground truth "
                             "(default: the stored trimap field where there is one, else him-eval)")
    parser.add_argument("--match", dest="matching", choices=MATCHINGS, default="index",
                        help="instances: index = prediction k is instance k (MaGGIe); "
                             "hungarian = any order, least total MAD; iou = InstMatt's "
                             "least total 1 - IoU (default: %(default)s)")
    mask_set = declared(ReleaseOptions)["mask_set"]
    add_option(parser, mask_set, f", for m-him2k read from its release: its instances with a "
                                 f"mask are evaluated (default: {mask_set.default})")
    parser.add_argument("--allow-jpeg", action="store_true",
                        help="score .jpg predictions as decoded (refused by default: lossy)")
    parser.add_argument("--workers", type=positive_int, default=1, metavar="N",
                        help="score samples in N processes (same results; default: %(default)s)")
    parser.add_argument("--json", type=Path, metavar="OUT.json",
                        help="write every sample's record to this file (its folder must exist)")
    add_no_progress(parser)


def run_stats(args: argparse.Namespace) -> int:
    """``mattehub stats``: compute, print, and (unless --print-only) store in the card."""
    from mattehub.analysis.statistics import compute_statistics, write_statistics

    stats = compute_statistics(args.folder, args.config, split=split_of(args), fields=args.fields,
                               progress=not args.no_progress)
    print(stats.format())
    if not args.print_only:
        print(f"written to {write_statistics(args.folder, stats)}")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    """``mattehub evaluate``: score, print the means, and (with --json) write every sample."""
    from mattehub.evaluation import EvaluationOptions, evaluate
    if args.json:
        check_json_target(args.json)
    report = evaluate(EvaluationOptions(
        args.config, args.data_dir, args.pred, split_of(args), protocol=args.protocol,
        trimap_kind=args.trimap_kind, matching=args.matching, allow_jpeg=args.allow_jpeg,
        workers=args.workers, progress=not args.no_progress,
        source_options=(("mask_set", args.mask_set),) if args.mask_set else ()))
    print(report.format())
    if args.json:
        try:
            write_json(args.json, report.as_dict())
        except OSError as exc:
            raise BuildError(f"--json {args.json}: cannot be written ({exc.strerror or exc})") from None
        print(f"written to {args.json}")
    return 0


def check_json_target(path: Path) -> None:
    """``--json``: a file to (over)write in an existing, writable folder; checked before
    scoring, so a long run does not end in an error (nor leave a temp file beside a folder)."""
    folder = path.parent
    problem = ("is a folder: give the path of the file to write, e.g. "
               f"--json {path / 'scores.json'}" if path.is_dir()
               else f"its folder {folder} does not exist: create it first" if not folder.is_dir()
               else f"its folder {folder} is not writable" if not os.access(folder, os.W_OK)
               else None)
    if problem:
        raise BuildError(f"--json {path}: {problem}")


def add_demo_parser(commands) -> None:
    """``mattehub demo``."""
    demo = commands.add_parser("demo", help="build every config from small generated sources")
    demo.add_argument("--out", type=Path, default=Path("mattehub-demo"), metavar="DIR",
                      help="output folder (default: %(default)s)")
    demo.add_argument("--workers", type=positive_int, default=min(2, os.cpu_count() or 1),
                      metavar="N", help="worker processes (default: %(default)s)")


def add_push_parser(commands) -> None:
    """``mattehub push OUT REPO_ID``."""
    push = commands.add_parser(
        "push", help="check an output folder, then upload it to two Hub dataset repos "
                     "(REPO_ID: Parquet, REPO_ID-wds: WebDataset)",
        usage="mattehub push OUT REPO_ID [--private | --public] [--i-hold-rights LICENCE_ID] "
              "[--revision R] [--message M] [--config C ...] [--dry-run | --stage DIR]",
        description="Check OUT, then upload its Parquet configs to the dataset repo REPO_ID and "
                    "its WebDataset configs to REPO_ID-wds, each with a root card whose "
                    "configs load by name with datasets.load_dataset, no mattehub needed. "
                    "First the licence gate decides per config from its sources' licence "
                    "(docs/licences.md): sources that forbid redistribution are refused unless "
                    "--i-hold-rights names their licence; non-commercial sources and sources "
                    "of unknown terms go to a private repo unless --public. Then, before any "
                    "upload: `mattehub verify` runs on what is pushed, the cards must declare "
                    "exactly the configs and splits built, and every config of both repos "
                    "must load one row of each split with plain datasets in a process that "
                    "never imports mattehub; any problem refuses the push. Not uploaded: "
                    "_sources/, .cache/, temp files. The token comes from huggingface_hub's "
                    "standard places (HF_TOKEN, else the token file of `hf auth login`) and "
                    "is never printed. Prints the load_dataset lines of the pushed configs.")
    push.add_argument("folder", type=Path, metavar="OUT", help="a folder written by `mattehub build`")
    push.add_argument("repo_id", nargs="?", metavar="REPO_ID",
                      help="owner/name of the Parquet dataset repo, e.g. your-name/mattehub-i-him; "
                           "the tars go to REPO_ID-wds (both created if missing)")
    push.add_argument("--repo-id", dest="repo_id_option", metavar="REPO_ID",
                      help="the same as the positional REPO_ID (the older spelling)")
    push.add_argument("--private", action="store_true",
                      help="create the repos private whatever the licences (an existing repo "
                           "keeps its visibility)")
    push.add_argument("--public", action="store_true",
                      help="create the repos with the Hub's default visibility even when a "
                           "config's licence is non-commercial or unknown (you checked its terms)")
    push.add_argument("--i-hold-rights", dest="rights", action="append", metavar="LICENCE_ID",
                      help="state that you hold the rights to publish data under LICENCE_ID "
                           "(e.g. surreal-license): configs whose sources forbid redistribution "
                           "under that licence are then pushed (privately unless --public); "
                           "repeatable")
    push.add_argument("--revision", metavar="R",
                      help="branch to push to, created from main if missing (default: main)")
    push.add_argument("--message", metavar="M", help="commit message (default: 'Upload "
                      "<configs> (mattehub <version>)')")
    push.add_argument("--config", dest="configs", action="append", metavar="C",
                      help="push only config C (repeatable; C or C-wds): its shards, stats and "
                           "previews, with both cards and _stats/index.json regenerated to "
                           "declare only the configs pushed (OUT is not changed)")
    push.add_argument("--dry-run", action="store_true",
                      help="print the licence decision per config, run the checks and list every "
                           "file each repo would get with its size; no network call at all")
    push.add_argument("--stage", type=Path, metavar="DIR",
                      help="write exactly the files each repo would get into DIR/REPO_ID and "
                           "DIR/REPO_ID-wds, and upload nothing (no network call)")
    add_no_progress(push)


def run_verify(args: argparse.Namespace) -> int:
    """``mattehub verify``: exit 1 on any problem."""
    from mattehub.verify import verify_folder

    report = verify_folder(args.folder, progress=not args.no_progress)
    print(report.format())
    return 0 if report.ok else 1


def run_reassemble(args: argparse.Namespace) -> int:
    """``mattehub reassemble``: one standard zip from a split zip."""
    from mattehub.inputs.archives.reassemble import reassemble

    print(reassemble(args.archive, args.out, progress=not args.no_progress))
    return 0


def run_export(args: argparse.Namespace) -> int:
    """``mattehub export``: a built config back in its original layout."""
    from mattehub.export import export_config

    print(export_config(args.folder, args.out, args.config, split=split_of(args),
                        overwrite=args.overwrite, progress=not args.no_progress).format())
    return 0


def run_demo(args: argparse.Namespace) -> int:
    """``mattehub demo``: every config from generated stand-in sources."""
    from mattehub.cli.demo import run_demo as demo

    demo(args.out, workers=args.workers)
    return 0


def run_push(args: argparse.Namespace) -> int:
    """``mattehub push``: the licence gate, verify, check the cards and repos, upload."""
    from mattehub.publish.hub import push_folder

    if args.repo_id and args.repo_id_option and args.repo_id != args.repo_id_option:
        raise BuildError(f"two repo ids given ({args.repo_id}, --repo-id "
                         f"{args.repo_id_option}): give one")
    repo_id = args.repo_id or args.repo_id_option
    if not repo_id:
        raise BuildError("push needs REPO_ID (owner/name): mattehub push OUT REPO_ID")
    if args.dry_run and args.stage:
        raise BuildError("--dry-run and --stage: give one (--stage also uploads nothing)")
    push_folder(args.folder, repo_id, private=args.private, revision=args.revision,
                message=args.message, configs=args.configs, dry_run=args.dry_run,
                progress=not args.no_progress, public=args.public, rights=args.rights,
                stage=args.stage)
    return 0
