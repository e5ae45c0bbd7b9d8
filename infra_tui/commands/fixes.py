"""``infra-tui lint --fix [--write]``: every fixable finding as one plan; the rest, what to do by hand."""

from __future__ import annotations

import argparse
import json
import sys

from infra_tui.commands.new import emit
from infra_tui.core import fix as fix_mod
from infra_tui.core.model import Repo
from infra_tui.core.rules import Finding


def run_fix(args: argparse.Namespace, repo: Repo, env_name: str, findings: list[Finding]) -> int:
    plan = fix_mod.plan_fixes(repo, findings, env_name)
    fixable = [f for f in findings if f.fixable]
    by_hand = [f for f in findings if not f.fixable or f in plan.findings]
    if not plan.files:
        if args.format == "json":
            print(
                json.dumps(
                    {"created": [], "modified": [], "findings": [f.to_dict() for f in by_hand]}, indent=2
                )
            )
        print(f"infra-tui: nothing to fix automatically ({len(fixable)} fixable findings)", file=sys.stderr)
    else:
        args.format = "text" if args.format not in ("json",) else args.format
        rc = emit(plan, repo, args)
        if rc != 0:
            return rc
    for f in by_hand:
        todo = fix_mod.FIXED_BY_HAND.get(f.rule, "fix by hand")
        print(f"infra-tui: by hand: {f.file}:{f.line} [{f.rule}] {f.message} -> {todo}", file=sys.stderr)
    if any(f.severity == "error" for f in by_hand):
        return 1
    # a dry run leaves the errors in place: still a failing lint
    return 1 if not args.write and any(f.severity == "error" for f in fixable) else 0
