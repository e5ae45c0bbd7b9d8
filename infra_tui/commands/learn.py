"""``infra-tui learn``: what the repo teaches (CRD providers, webhooks, house style, similar services)."""

from __future__ import annotations

import argparse
import json
import sys

from infra_tui.commands.context import add_path_argument, load_repo, pick_env, report_problems
from infra_tui.core import apply as apply_mod
from infra_tui.core import learn as learn_mod
from infra_tui.core.model import ChangePlan, FileChange, Repo

NAME = "learn"
HELP = "what the repo teaches: CRD providers, webhooks, house style, similar services; --write saves .infra-tui.learned.yaml"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_path_argument(p)
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument(
        "--kustomize",
        action="store_true",
        help="also build (kustomize) the folders with remote bases or generators and learn the CRDs "
        "they render (fetches remote bases)",
    )
    p.add_argument(
        "--write",
        action="store_true",
        help=f"write {learn_mod.LEARNED_FILE} at the repo root, for review in Git",
    )


def _learn_rendered(repo: Repo, env: str, learned: learn_mod.Learned) -> None:
    """CRD providers from kustomize output, merged into ``learned`` (each added fact and each
    failed build in one line on stderr)."""
    import asyncio

    from infra_tui.core import learn_rendered
    from infra_tui.services.learn_kustomize import rendered_providers

    found = asyncio.run(rendered_providers(repo, env))
    for line in found.failed:
        print(line, file=sys.stderr)
    added = learn_rendered.merge(learned, found.facts)
    print(
        f"kustomize: built {len(found.built)} folder(s) with remote bases or generators; "
        f"{len(added)} provider fact(s) learned from their output",
        file=sys.stderr,
    )
    for line in added:
        print(f"  {line}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    repo = load_repo(args, learned_notice=False)
    env = pick_env(repo, args.env)
    learned = learn_mod.learn(repo, env.name)
    if args.kustomize:
        _learn_rendered(repo, env.name, learned)
    if args.format == "json":
        print(json.dumps(learn_mod.to_dict(learned), indent=2))
    else:
        print(learn_mod.to_text(learned), end="")
    if args.write:
        target = repo.root / learn_mod.LEARNED_FILE
        before = target.read_text(encoding="utf-8") if target.is_file() else None
        text = learn_mod.render_file(learned)
        out = sys.stderr if args.format == "json" else sys.stdout
        if before == text:
            print(f"{learn_mod.LEARNED_FILE} is up to date", file=out)
        else:
            apply_mod.apply(ChangePlan(files=[FileChange(learn_mod.LEARNED_FILE, before, text)]), repo.root)
            print(
                f"wrote {learn_mod.LEARNED_FILE}: review it (and confirm bootstrap_provided groups) before committing",
                file=out,
            )
    return report_problems(repo)
