"""``infra-tui lint``: house-pattern findings, grouped by component."""

from __future__ import annotations

import argparse
import json
from collections import defaultdict

from rich.console import Console
from rich.text import Text

from infra_tui.commands.context import (
    add_path_argument,
    add_undeployed_argument,
    load_repo,
    pick_env,
    print_undeployed,
    refuse_bad_input,
    report_problems,
    undeployed,
)
from infra_tui.core import rules as rules_mod
from infra_tui.core.model import short_name

NAME = "lint"
HELP = (
    "check the house patterns (CRD dependsOn, monitoring split, Helm anti-patterns, ...); exit 1 on any error"
)

STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_path_argument(p)
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument(
        "--fix", action="store_true", help="plan fixes for every fixable finding and print the diff"
    )
    p.add_argument("--write", action="store_true", help="with --fix: write the fixes")
    add_undeployed_argument(p)


def print_findings(findings: list[rules_mod.Finding], console: Console) -> None:
    groups: dict[str, list[rules_mod.Finding]] = defaultdict(list)
    for f in findings:
        groups[short_name(f.kustomization) if f.kustomization else "(repo)"].append(f)
    for name in sorted(groups):
        console.print(Text(name, style="bold"))
        for f in groups[name]:
            line = Text("  ")
            line.append(f"{f.severity:<7}", style=STYLE.get(f.severity, ""))
            line.append(f" {f.file}:{f.line} ", style="dim")
            line.append(f"[{f.rule}] ", style="magenta")
            line.append(f.message)
            if f.fixable:
                line.append("  (fixable)", style="green")
            console.print(line)
    counts = {s: sum(1 for f in findings if f.severity == s) for s in rules_mod.SEVERITIES}
    console.print(
        Text(f"{counts['error']} errors, {counts['warning']} warnings, {counts['info']} info", style="bold")
    )


def run(args: argparse.Namespace) -> int:
    repo = load_repo(args)
    env = pick_env(repo, args.env)
    findings = rules_mod.lint(repo, env.name)
    if args.fix:
        from infra_tui.commands import fixes

        refuse_bad_input(repo, "lint --fix")

        return fixes.run_fix(args, repo, env.name, findings)
    rows = undeployed(repo, env) if args.show_undeployed else None
    if args.format == "json":
        data: dict[str, object] = {"env": env.name, "findings": [f.to_dict() for f in findings]}
        if rows is not None:
            data["undeployed"] = rows
        print(json.dumps(data, indent=2))
    else:
        print_findings(findings, Console())
        if rows is not None:
            print_undeployed(rows)
    bad_input = report_problems(repo)
    if bad_input:
        return bad_input
    return 1 if any(f.severity == "error" for f in findings) else 0
