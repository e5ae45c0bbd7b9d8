"""``infra-tui new``: plan a new component from a spec file or prompts; print the diff and summary;
write only with ``--write``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console

from infra_tui.commands.context import load_repo, pick_env, refuse_bad_input
from infra_tui.core import apply as apply_mod
from infra_tui.core import diff as diff_mod
from infra_tui.core import scaffold, summary
from infra_tui.core import spec as spec_mod
from infra_tui.core.model import ChangePlan, Repo
from infra_tui.core.preview import plan_blocker
from infra_tui.errors import UserError
from infra_tui.services.git import changed_paths
from infra_tui.services.validate import validate_plan_sync

NAME = "new"
HELP = "plan a new component (from --spec FILE or --plain prompts): print the diff and summary; --write writes it"


def add_arguments(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--spec", metavar="FILE", help="component spec YAML (DESIGN.md 'Component spec')")
    src.add_argument("--plain", action="store_true", help="ask for the spec with terminal prompts")
    add_output_arguments(p)


def add_output_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--write", action="store_true", help="write the files (default: only show what would change)"
    )
    p.add_argument(
        "--no-validate",
        dest="validate",
        action="store_false",
        help="skip kustomize build + offline dry-run of the planned components",
    )
    p.add_argument(
        "--format",
        choices=["text", "json", "markdown"],
        default="text",
        help="text: coloured diff + summary; json: DESIGN.md 'new / edit' JSON; markdown: summary + diff for a PR",
    )


def git_status(root: Path) -> list[str] | None:
    """Paths with uncommitted changes, or None if git cannot say (apply warns, never refuses)."""
    return changed_paths(root)


def emit(plan: ChangePlan, repo: Repo, args: argparse.Namespace) -> int:
    """Print the plan in the chosen format; write it with --write. Returns the exit code."""
    fmt = args.format
    wrote: apply_mod.ApplyResult | None = None
    apply_error: list[str] = []
    failed_validation = False
    blocker = plan_blocker(plan)  # the wizard's answer to "can we write?", in its words
    if getattr(args, "validate", True) and blocker is None:
        report = plan.validation = validate_plan_sync(repo, plan, env=getattr(args, "env", None))
        if report.skipped:
            print(f"infra-tui: warning: validation skipped: {report.skipped}", file=sys.stderr)
        failed = report.failed
        failed_validation = bool(failed)
        if failed and args.write:
            apply_error = [
                f"validation failed for {', '.join(r.component for r in failed)}; fix it, or pass --no-validate"
            ]
    if args.write and blocker is None and not apply_error:
        try:
            wrote = apply_mod.apply(plan, repo.root, git_status=git_status)
        except apply_mod.ApplyRefused as exc:
            apply_error = exc.reasons
        except OSError as exc:
            apply_error = [f"writing failed ({exc.__class__.__name__}: {exc}); nothing was changed"]
    if fmt == "json":
        data = summary.to_dict(plan)
        data["written"] = wrote.written if wrote else []
        if apply_error:
            data["apply_errors"] = apply_error

        print(json.dumps(data, indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        out = summary.to_markdown(plan)
        text = diff_mod.plan_diff(plan)
        if plan.ok and text:
            out += "\n<details><summary>Diff</summary>\n\n```diff\n" + text + "```\n\n</details>\n"
        sys.stdout.write(out)
    else:
        console = Console(highlight=False, soft_wrap=True)
        if plan.ok:
            console.print(diff_mod.to_text(diff_mod.plan_diff(plan)), end="")
            console.print()
        console.print(summary.to_markdown(plan), markup=False, end="")
    for w in wrote.warnings if wrote else []:
        print(f"infra-tui: warning: {w}", file=sys.stderr)
    if blocker is not None:
        print(f"infra-tui: {blocker}", file=sys.stderr)
        print("infra-tui: no changes were made", file=sys.stderr)
        return 1
    if apply_error:
        for r in apply_error:
            print(f"infra-tui: not written: {r}", file=sys.stderr)
        return 1
    if failed_validation:
        print("infra-tui: validation failed (see Validation Results)", file=sys.stderr)
        return 1
    if wrote:
        gone = f", {len(wrote.deleted)} deleted" if wrote.deleted else ""
        print(
            f"infra-tui: wrote {len(wrote.written)} files ({len(wrote.created)} created{gone})",
            file=sys.stderr,
        )
    elif not args.write:
        print("infra-tui: dry run; nothing written (add --write to write these files)", file=sys.stderr)
    return 0


def run(args: argparse.Namespace) -> int:
    repo = load_repo(args)
    refuse_bad_input(repo, "new")
    if args.env:
        pick_env(repo, args.env)  # a clear error for an unknown --env
    if args.plain:
        from infra_tui import prompts

        try:
            spec = prompts.ask_new_spec(repo, env=args.env)
        except EOFError:
            raise UserError(
                "--plain: input ended (Ctrl-D, or stdin is not a terminal) before the questions were answered; no changes were made (use --spec FILE without a terminal)"
            ) from None
        except KeyboardInterrupt:
            print("infra-tui: cancelled; no changes were made", file=sys.stderr)
            return 130
    else:
        spec = spec_mod.load_file(args.spec)
    try:
        plan = scaffold.plan(repo, spec, env=args.env)
    except RuntimeError as exc:  # a broken install (missing skeleton)
        raise UserError(str(exc)) from exc
    return emit(plan, repo, args)
