"""services.dryrun: local and ssh strategies (stand-in kubectl, real sshd), cancel and timeout."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from infra_tui.core import validation as v
from infra_tui.core.repo import load
from infra_tui.core.rules import load_rules
from infra_tui.services import dryrun, kustomize
from tests.paths import DATA
from tests.processes import wait_dead as _wait_dead

BROKEN = DATA / "broken"

STAND_IN = r"""#!/bin/sh
# Stand-in kubectl: a configured, reachable context; apply only with --dry-run=server.
case "$1" in
  config) echo stand-in-context ;;
  version) echo "Client Version: v1.32.0"; echo "Server Version: v1.32.0" ;;
  apply)
    case " $* " in *" --dry-run=server "*) ;; *) echo "apply without --dry-run" >&2; exit 99 ;; esac
    f=$(mktemp -p "$STATE" stdin.XXXXXX)
    cat > "$f"
    if grep -q "kind: RecurringJob" "$f"; then
      echo 'error: resource mapping not found for name: "nightly-backup" namespace: "longhorn-system" from "STDIN": no matches for kind "RecurringJob" in version "longhorn.io/v1beta2"' >&2
      echo 'ensure CRDs are installed first' >&2
      exit 1
    fi
    echo "namespace/x created (server dry run)" ;;
  *) exit 2 ;;
esac
"""

SLOW = """#!/bin/sh
sleep 60 &
echo $$ $! > "$PIDFILE"
wait
"""


def _script(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    p.chmod(0o755)
    return p


def _kustomize_or_skip() -> list[str]:
    try:
        return kustomize.kustomize_argv()
    except kustomize.KustomizeNotFound as exc:
        pytest.skip(f"needs kustomize or kubectl on PATH: {exc}")


def _targets(*names: str) -> list[v.Target]:
    return v.targets_from_repo(load(BROKEN), None, list(names))


# --------------------------------------------------------------------------- local


@pytest.mark.kubectl
def test_local_sends_built_manifests_with_dry_run_and_classifies(tmp_path, monkeypatch):
    monkeypatch.setenv("STATE", str(tmp_path))
    kubectl = _script(tmp_path, "kubectl", STAND_IN)
    options = dryrun.Options(
        strategy="local",
        kubectl=str(kubectl),
        kustomize_argv=_kustomize_or_skip(),
        crd_providers=load_rules().crd_providers,
    )
    rep = asyncio.run(
        dryrun.validate_many(BROKEN, _targets("good", "crd-expected", "crd-no-provider"), options)
    )
    by = {r.component.rsplit("/", 1)[-1]: r for r in rep.results}
    assert by["good"].dry_run == "pass"
    assert by["crd-expected"].dry_run == "expected-missing-crd"
    assert by["crd-no-provider"].dry_run == "fail"
    issue = by["crd-no-provider"].issues[0]
    assert issue.kind == v.MISSING_CRD
    assert (issue.file, issue.line) == ("namespaces/crd-no-provider/recurring-job.yaml", 1)
    assert any("kind: RecurringJob" in f.read_text() for f in tmp_path.glob("stdin.*"))


def test_local_is_skipped_without_a_context(tmp_path, monkeypatch):
    if not kustomize.kubectl_path():
        pytest.skip("needs kubectl on PATH")
    cfg = tmp_path / "kubeconfig"
    cfg.write_text("apiVersion: v1\nkind: Config\n")
    monkeypatch.setenv("KUBECONFIG", str(cfg))
    out = asyncio.run(
        dryrun.dry_run_local(
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n", kubectl=kustomize.kubectl_path()
        )
    )
    assert out.state == "skipped" and "no current kube context" in out.notes[0]


def test_local_is_skipped_when_the_context_does_not_answer(tmp_path):
    kubectl = _script(
        tmp_path,
        "kubectl",
        '#!/bin/sh\n[ "$1" = config ] && { echo ctx; exit 0; }\n'
        'echo "Unable to connect to the server: dial tcp 127.0.0.1:1: connection refused" >&2; exit 1\n',
    )
    out = asyncio.run(dryrun.dry_run_local("kind: x\n", kubectl=str(kubectl)))
    assert out.state == "skipped" and "not reachable" in out.notes[0] and "connection refused" in out.notes[0]


def test_apply_without_dry_run_is_refused():
    with pytest.raises(RuntimeError):
        dryrun.assert_dry_run(["kubectl", "apply", "-f", "-"])
    with pytest.raises(RuntimeError):
        dryrun.assert_dry_run(["kubectl", "apply", "--dry-run=none", "-f", "-"])
    dryrun.assert_dry_run(["kubectl", "apply", "--dry-run=server", "-f", "-"])


# --------------------------------------------------------------------------- ssh


class RecordingTransport:
    """Duck-typed transport: records what would cross the wire and answers like a fresh cluster."""

    def __init__(self, stderr: str = "", code: int = 0):
        self.calls: list[tuple[list[str], bytes | None]] = []
        self.stderr, self.code = stderr, code

    async def run(self, argv, *, stdin=None, timeout=30.0):
        from infra_tui.services.proc import Result

        self.calls.append((argv, stdin))
        return Result(argv=argv, returncode=self.code, stdout="", stderr=self.stderr, elapsed=0.01)


def test_ssh_sends_manifests_on_stdin_and_classifies():
    t = RecordingTransport(
        stderr='error: no matches for kind "CiliumNetworkPolicy" in version "cilium.io/v2"', code=1
    )
    out = asyncio.run(
        dryrun.dry_run_ssh(
            "kind: CiliumNetworkPolicy\n",
            t,
            ancestor_ids=["flux-system/cilium"],
            crd_providers=load_rules().crd_providers,
            remote_kubectl="k3s kubectl",
        )
    )
    assert out.state == "expected-missing-crd"
    argv, stdin = t.calls[0]
    assert argv == ["k3s", "kubectl", "apply", "--dry-run=server", "-f", "-"]
    assert stdin == b"kind: CiliumNetworkPolicy\n"


def test_ssh_without_host_is_skipped_with_reason():
    out = asyncio.run(dryrun.dry_run_ssh("x", None))
    assert out.state == "skipped" and "no cluster host" in out.notes[0]


@pytest.mark.sshd
@pytest.mark.kubectl
def test_ssh_against_real_sshd_stand_in_kubectl_gets_the_manifests(sshd):
    from infra_tui.services.ssh import SshTarget, SshTransport

    target = SshTarget(
        host="127.0.0.1",
        user=sshd.user,
        port=sshd.port,
        identity_file=str(sshd.client_key),
        known_hosts_file=str(sshd.known_hosts),
        ssh_config=str(sshd.ssh_config),
    )
    transport = SshTransport(target)
    options = dryrun.Options(
        strategy="ssh",
        transport=transport,
        kustomize_argv=_kustomize_or_skip(),
        crd_providers=load_rules().crd_providers,
    )
    try:
        rep = asyncio.run(dryrun.validate_many(BROKEN, _targets("good"), options))
    finally:
        transport.close_sync()
    assert rep.results[0].dry_run == "pass", rep.results[0].to_json()
    sent = sshd.last_stdin()
    assert sent is not None and b"kind: HelmRelease" in sent and b"name: allow-k8s-api" in sent
    assert any("apply" in c and "--dry-run=server" in c for c in sshd.kubectl_calls())


# --------------------------------------------------------------------------- cancel / timeout


def test_cancelled_validation_leaves_no_child(tmp_path, monkeypatch):
    pidfile = tmp_path / "pids"
    monkeypatch.setenv("PIDFILE", str(pidfile))
    slow = _script(tmp_path, "slow-kustomize", SLOW)
    options = dryrun.Options(kustomize_argv=[str(slow), "build"])

    async def main() -> None:
        task = asyncio.ensure_future(dryrun.validate_many(BROKEN, _targets("good"), options, jobs=2))
        for _ in range(200):
            if pidfile.exists() and pidfile.read_text().strip():
                break
            await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    pids = [int(p) for p in pidfile.read_text().split()]
    assert len(pids) == 2
    assert _wait_dead(pids), f"children outlived the cancel: {pids}"


def test_build_timeout_kills_the_build_and_fails_it(tmp_path, monkeypatch):
    pidfile = tmp_path / "pids"
    monkeypatch.setenv("PIDFILE", str(pidfile))
    slow = _script(tmp_path, "slow-kustomize", SLOW)
    options = dryrun.Options(kustomize_argv=[str(slow), "build"], build_timeout=0.5)
    start = time.monotonic()
    rep = asyncio.run(dryrun.validate_many(BROKEN, _targets("good"), options))
    assert time.monotonic() - start < 10
    r = rep.results[0]
    assert r.build == "fail" and "timed out" in r.issues[0].message
    assert _wait_dead([int(p) for p in pidfile.read_text().split()])


def test_validate_plan_uses_a_scratch_copy(tmp_path):
    argv = _kustomize_or_skip()
    user_file = BROKEN / "namespaces/good/helm-release.yaml"
    before = user_file.read_text()
    plan = {"namespaces/good/helm-release.yaml": before.replace("interval: 1h", "interval: 5")}
    options = dryrun.Options(kustomize_argv=argv, crd_providers=load_rules().crd_providers)
    rep = asyncio.run(dryrun.validate_plan(BROKEN, plan, _targets("good"), options))
    assert user_file.read_text() == before
    r = rep.results[0]
    assert r.dry_run == "fail"
    assert r.issues[0].file == "namespaces/good/helm-release.yaml" and r.issues[0].line == 7
