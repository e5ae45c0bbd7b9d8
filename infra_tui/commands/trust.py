"""``infra-tui trust``: trust this repo's ``.infra-tui.yaml``, as it is now (``core.trust``).

Until then the keys of a repo's settings that reach the network or run local programs (host,
ssh_config, identity_file, known_hosts_file, kubectl, context, port, user) are ignored. The trust
is recorded in the user's config dir by file path and sha256: an edit untrusts the file again.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from infra_tui.core import repo as repo_mod
from infra_tui.core import trust
from infra_tui.core.settings import SETTINGS_FILE
from infra_tui.errors import UserError

NAME = "trust"
HELP = "trust this repo's .infra-tui.yaml as it is now (hash recorded in the user's config dir): its ssh and kubectl settings apply until it changes"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--revoke", action="store_true", help="forget the trust of this repo's settings file")


def run(args: argparse.Namespace) -> int:
    if args.repo:
        root = Path(args.repo).resolve()
        if not root.is_dir():
            raise UserError(f"--repo {root}: no such directory")
    else:
        root = repo_mod.find_root(Path.cwd())
    read = trust.read_repo_settings(root)
    path = root / SETTINGS_FILE
    if args.revoke:
        gone = trust.revoke_trust(path)
        print(f"{path}: trust revoked" if gone else f"{path}: was not trusted")
        return 0
    if read is None:
        raise UserError(f"no {SETTINGS_FILE} in {root}: nothing to trust")
    gated = read.gated()
    record = trust.record_trust(read.path, read.data)
    print(f"trusted {read.path} (sha256 {trust.digest(read.data)[:12]}…, recorded in {record})")
    if gated:
        print("these settings now apply:")
        for key, value in gated.items():
            print(f"  {key}: {value}")
    else:
        print("it sets nothing that reaches the network or runs a program")
    return 0
