"""The SSH flags shared by ``infra-tui status`` and the TUI (``infra-tui [tui]``).

Kept apart from ``commands/status.py`` so that starting the TUI does not import the status
command's rendering; argparse only.
"""

from __future__ import annotations

import argparse
from typing import Any


def port_number(text: str) -> int:
    """``--port``: a TCP port, or argparse's one-line usage error (exit 2)."""
    try:
        port = int(text, 10)
    except ValueError:
        port = 0
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)")
    return port


def add_ssh_arguments(p: argparse.ArgumentParser) -> None:
    """``--host --port --identity-file --known-hosts --ssh-config --accept-new-host-key --kubectl --context``."""
    p.add_argument(
        "--host", metavar="USER@HOST[:PORT]|ALIAS", help="control-plane host (default: clusters.<env>.host)"
    )
    p.add_argument("--port", type=port_number, metavar="N", help="SSH port (1-65535)")
    p.add_argument("--identity-file", metavar="F", help="private key for ssh -i")
    p.add_argument("--known-hosts", metavar="F", help="known_hosts file (strict host-key checking)")
    p.add_argument("--ssh-config", metavar="F", help="ssh client config for ssh -F")
    p.add_argument(
        "--accept-new-host-key",
        action="store_true",
        help="trust an unknown host key on first use and record it (a changed key is still refused)",
    )
    p.add_argument("--kubectl", metavar="CMD", help="remote kubectl command (kubectl, k3s kubectl, a path)")
    p.add_argument("--context", metavar="C", help="remote kube context")


def ssh_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The ``ClusterSettings`` fields the SSH flags set; ``None`` = not given."""
    return {
        "host": args.host,
        "port": args.port,
        "identity_file": args.identity_file,
        "known_hosts_file": args.known_hosts,
        "ssh_config": args.ssh_config,
        "kubectl": args.kubectl,
        "context": args.context,
    }
