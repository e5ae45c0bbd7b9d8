"""services.ssh without a server: the allow-list, quoting, the ssh command line."""

from __future__ import annotations

import asyncio
import os
import shlex
import stat

import pytest

from infra_tui.core.settings import ClusterSettings
from infra_tui.services.ssh import (
    DisallowedCommand,
    SshTarget,
    SshTransport,
    check_allowed,
    remote_command,
)

KS = "kustomizations.kustomize.toolkit.fluxcd.io"

ALLOWED = [
    ["kubectl", "get", KS, "-A", "-o", "json"],
    ["kubectl", "--context", "kubernetes-admin@kubernetes", "get", KS, "-A", "-o", "json"],
    [
        "kubectl",
        "--context=arn:aws:eks:eu-west-1:1:cluster/x",
        "get",
        "kustomizations",
        "--all-namespaces",
        "--output=json",
    ],
    ["kubectl", "get", "helmreleases", "-n", "flux-system", "-o", "json"],
    ["kubectl", "get", "helmrepositories.source.toolkit.fluxcd.io", "-A", "-o", "json"],
    ["kubectl", "get", "events", "-n", "cert-manager", "-o", "json"],
    ["kubectl", "get", KS, "cert-manager", "-n", "flux-system", "-o", "json"],
    ["kubectl", "version", "-o", "json"],
    ["kubectl", "version", "--client"],
    ["kubectl", "api-resources"],
    ["kubectl", "api-resources", "--api-group", "kustomize.toolkit.fluxcd.io", "-o", "name"],
    ["kubectl", "apply", "--dry-run=server", "-f", "-"],
    ["kubectl", "apply", "--dry-run=client", "-f", "-", "-o", "name"],
    ["kubectl", "apply", "--server-side", "--dry-run=server", "-f", "-"],
    ["k3s", "kubectl", "get", KS, "-A", "-o", "json"],
    ["/usr/local/bin/kubectl", "--request-timeout", "10s", "version", "-o", "json"],
]

DISALLOWED = [
    [],
    ["rm", "-rf", "/"],
    ["sh", "-c", "kubectl get ks -A -o json"],
    ["rm", "-rf", "/", "kubectl", "get", KS, "-A", "-o", "json"],
    ["sudo", "kubectl", "get", KS, "-A", "-o", "json"],
    ["kubectl", "delete", KS, "cert-manager", "-n", "flux-system"],
    ["kubectl", "apply", "-f", "-"],
    ["kubectl", "apply", "--dry-run=none", "-f", "-"],
    ["kubectl", "apply", "--dry-run=server", "-f", "manifest.yaml"],
    ["kubectl", "apply", "--dry-run=client", "--server-side", "-f", "-"],
    ["kubectl", "get", "secrets", "-A", "-o", "json"],
    ["kubectl", "get", KS, "-A", "-o", "yaml"],
    ["kubectl", "get", KS, "-A"],
    ["kubectl", "get", KS, "-A", "-o", "json", "--token=abc"],
    ["kubectl", "get", KS, "-A", "-o", "json", "-o", "json"],
    ["kubectl", "--kubeconfig", "/etc/kubernetes/admin.conf", "get", KS, "-A", "-o", "json"],
    ["kubectl", "get", KS, "Cert_Manager", "-o", "json"],
    ["kubectl", "get", KS, "$(reboot)", "-o", "json"],
    ["kubectl", "get", KS, "a;reboot", "-o", "json"],
    ["kubectl", "get", KS, "-n", "flux-system;reboot", "-o", "json"],
    ["kubectl", "--context", "x;reboot", "get", KS, "-A", "-o", "json"],
    ["kubectl", "get", KS, "a\nreboot", "-o", "json"],
    ["kubectl", "exec", "-it", "pod", "--", "sh"],
    ["kubectl", "get", "--raw", "/api"],
    ["kubectl", "version", "extra"],
    ["kubectl;reboot", "version"],
    ["kubectl", "proxy"],
    ["kubectl", "port-forward", "svc/x", "80"],
]


@pytest.mark.parametrize("argv", ALLOWED, ids=lambda a: " ".join(a)[:60])
def test_allowed(argv):
    check_allowed(argv)


@pytest.mark.parametrize("argv", DISALLOWED, ids=lambda a: repr(" ".join(a))[:60])
def test_disallowed(argv):
    with pytest.raises(DisallowedCommand) as info:
        check_allowed(argv)
    message = str(info.value)
    assert message.startswith("refused to send") and "\n" not in message


@pytest.mark.parametrize("argv", ALLOWED + [["kubectl", "get", KS, "it's", "-o", "json"]])
def test_remote_command_round_trips_through_a_shell(argv):
    assert shlex.split(remote_command(argv)) == argv


def test_disallowed_raises_before_ssh_is_started():
    transport = SshTransport(SshTarget(host="127.0.0.1", port=1), ssh="/nonexistent/ssh")
    with pytest.raises(DisallowedCommand):
        asyncio.run(transport.run(["kubectl", "delete", "ns", "flux-system"]))
    assert transport.commands_sent == 0


def _option(argv: list[str], name: str) -> str | None:
    for i, token in enumerate(argv):
        if token == "-o" and argv[i + 1].startswith(name + "="):
            return argv[i + 1].split("=", 1)[1]
    return None


def test_ssh_argv_is_strict_batch_multiplexed_and_private():
    transport = SshTransport(
        SshTarget(host="127.0.0.1", user="kube", port=2222, identity_file="/k", known_hosts_file="/kh")
    )
    try:
        argv = transport.ssh_argv("kubectl version")
        assert _option(argv, "StrictHostKeyChecking") == "yes"
        assert _option(argv, "BatchMode") == "yes"
        assert _option(argv, "ControlMaster") == "auto"
        assert _option(argv, "UserKnownHostsFile") == "/kh"
        control_dir = os.path.dirname(_option(argv, "ControlPath"))
        assert stat.S_IMODE(os.stat(control_dir).st_mode) == 0o700
        assert argv[-3:] == ["--", "127.0.0.1", "kubectl version"] and "-T" in argv
        assert ["-p", "2222"] == argv[argv.index("-p") : argv.index("-p") + 2]
        assert not any("StrictHostKeyChecking=no" in a for a in argv)
    finally:
        transport.close_sync()
    assert not os.path.exists(control_dir)


def test_accept_new_is_opt_in_and_password_never_on_the_command_line():
    target = SshTarget(host="h", accept_new_host_key=True, password="s3cret-pw")
    transport = SshTransport(target)
    try:
        argv = transport.ssh_argv("kubectl version")
        assert _option(argv, "StrictHostKeyChecking") == "accept-new"
        assert _option(argv, "BatchMode") == "no"
        command = transport._command(argv, None, 5)  # noqa: SLF001 - the argv that would run, without running it
        assert command.argv[:2] == ["sshpass", "-e"]
        assert not any("s3cret-pw" in a for a in command.argv)
        assert command.env is not None and command.env["SSHPASS"] == "s3cret-pw"
        assert "s3cret-pw" not in repr(target)
    finally:
        transport.close_sync()


def test_target_from_settings_splits_user_host_port_and_lets_fields_win():
    t = SshTarget.from_settings(ClusterSettings(host="kube@192.168.50.100:2200"))
    assert (t.user, t.host, t.port) == ("kube", "192.168.50.100", 2200)
    t = SshTarget.from_settings(ClusterSettings(host="kube@192.168.50.100:2200", user="admin", port=22))
    assert (t.user, t.port, t.display) == ("admin", 22, "admin@192.168.50.100:22")
