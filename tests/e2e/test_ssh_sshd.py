"""The read-only transport and the status source against a real sshd on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import time

import pytest

from infra_tui.services.cluster import Poller, SshKubectlSource, StatusError
from infra_tui.services.ssh import (
    AuthError,
    ConnectError,
    ConnectionLost,
    DisallowedCommand,
    HostKeyError,
    SshError,
    SshTarget,
    SshTimeout,
    SshTransport,
    check_allowed,
    remote_command,
)
from tests.sshd import (
    DATA,
    SshdServer,
    create_password_user,
    delete_password_user,
    skip_or_fail,
    start_sshd,
    stop_sshd,
    synthetic_kustomization_list,
)

pytestmark = pytest.mark.sshd


def target(server: SshdServer, **overrides) -> SshTarget:
    values = dict(
        host="127.0.0.1",
        port=server.port,
        user=server.user,
        identity_file=str(server.client_key),
        known_hosts_file=str(server.known_hosts),
        ssh_config="/dev/null",  # the user's ~/.ssh/config must not change the test
    )
    values.update(overrides)
    return SshTarget(**values)


async def _with_transport(t: SshTarget, body):
    transport = SshTransport(t)
    try:
        return await body(transport)
    finally:
        await transport.close()


def run_with(t: SshTarget, body):
    return asyncio.run(_with_transport(t, body))


def test_states_and_root_cause_over_ssh(sshd):
    snapshot = run_with(target(sshd), lambda tr: SshKubectlSource(tr).fetch())
    by_id = snapshot.by_id()
    assert snapshot.source == f"ssh://{sshd.user}@127.0.0.1:{sshd.port}"
    assert by_id["flux-system/cert-manager"].state == "failed"
    assert by_id["flux-system/cert-manager"].reason == "HealthCheckFailed"
    assert by_id["flux-system/cert-manager-issuers"].state == "waiting"
    assert by_id["flux-system/ingress-nginx"].root_cause == "flux-system/cert-manager"
    assert by_id["flux-system/monitoring"].root_cause == "flux-system/monitoring-crds"
    assert by_id["flux-system/external-secrets"].state == "stalled"
    assert by_id["flux-system/podinfo"].state == "suspended"
    assert by_id["team-a/backend"].state == "failed"


def test_every_logged_command_is_on_the_allow_list(sshd):
    sent = [
        ["kubectl", "get", "kustomizations.kustomize.toolkit.fluxcd.io", "-A", "-o", "json"],
        ["kubectl", "--context", "admin@local", "get", "helmreleases", "-n", "flux-system", "-o", "json"],
        ["kubectl", "get", "events", "-A", "-o", "json"],
        ["kubectl", "version", "-o", "json"],
        ["kubectl", "api-resources"],
    ]

    async def body(tr: SshTransport):
        for argv in sent:
            assert (await tr.run(argv)).ok
        assert (
            await tr.run(["kubectl", "apply", "--dry-run=server", "-f", "-"], stdin=b"kind: Namespace\n")
        ).ok
        with pytest.raises(DisallowedCommand):
            await tr.run(["kubectl", "delete", "kustomizations", "cert-manager", "-n", "flux-system"])

    run_with(target(sshd), body)
    raw = sshd.raw_commands()
    assert len(raw) == len(sent) + 1
    assert raw[: len(sent)] == [remote_command(a) for a in sent]
    for argv in sshd.kubectl_calls():
        check_allowed(["kubectl", *argv])  # raises if anything else got through
    assert sshd.last_stdin() == b"kind: Namespace\n"


def test_disallowed_command_never_reaches_the_host(sshd):
    async def body(tr: SshTransport):
        await tr.run(["kubectl", "version"])  # the master connection is up
        before = (sshd.commands_log.read_text(), sshd.kubectl_log.read_text(), tr.commands_sent)
        for argv in (
            ["kubectl", "delete", "ns", "flux-system"],
            ["kubectl", "get", "secrets", "-A", "-o", "json"],
            ["kubectl", "get", "kustomizations", "x;touch /tmp/pwned", "-o", "json"],
            ["sh", "-c", "id"],
        ):
            with pytest.raises(DisallowedCommand):
                await tr.run(argv)
        return before, tr.commands_sent

    (commands, calls, sent_before), sent_after = run_with(target(sshd), body)
    assert sshd.commands_log.read_text() == commands and sshd.kubectl_log.read_text() == calls
    assert sent_after == sent_before


def test_polls_after_the_first_reuse_one_connection(sshd):
    async def body(tr: SshTransport):
        source = SshKubectlSource(tr)
        await source.fetch()
        pid = await tr.master_pid()
        for _ in range(5):
            await source.fetch()
        return pid, await tr.master_pid()

    first, last = run_with(target(sshd), body)
    assert first is not None and first == last
    # six polls, each reading Kustomizations and HelmReleases over the one connection
    assert len(sshd.raw_commands()) == 12


def test_unknown_host_key_is_refused_with_the_clear_message(sshd, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with pytest.raises(HostKeyError) as info:
        run_with(target(sshd, known_hosts_file=str(empty)), lambda tr: tr.run(["kubectl", "version"]))
    assert str(info.value) == (
        f"host key for 127.0.0.1:{sshd.port} is not in known_hosts {empty}; "
        "verify it and add it, or pass --accept-new-host-key"
    )
    assert sshd.raw_commands() == []
    # Opt-in: accept-new records the key and runs the command.
    result = run_with(
        target(sshd, known_hosts_file=str(empty), accept_new_host_key=True),
        lambda tr: tr.run(["kubectl", "version"]),
    )
    assert result.ok and sshd.host_public_key.split()[1] in empty.read_text()


def test_host_key_mismatch_is_refused_even_with_accept_new(sshd, tmp_path):
    from tests.sshd import _keygen

    other = _keygen(tmp_path / "impostor", "impostor")
    wrong = tmp_path / "known_hosts"
    wrong.write_text(f"[127.0.0.1]:{sshd.port} {other}\n")
    for accept_new in (False, True):
        with pytest.raises(HostKeyError) as info:
            run_with(
                target(sshd, known_hosts_file=str(wrong), accept_new_host_key=accept_new),
                lambda tr: tr.run(["kubectl", "version"]),
            )
        message = str(info.value)
        assert f"host key for 127.0.0.1:{sshd.port} does not match known_hosts {wrong}" in message
        assert "\n" not in message
    assert sshd.raw_commands() == []


def test_unauthorized_key_is_an_auth_error(sshd, tmp_path):
    from tests.sshd import _keygen

    _keygen(tmp_path / "stranger", "stranger")
    with pytest.raises(AuthError, match="authentication to .* failed: no key was accepted"):
        run_with(
            target(sshd, identity_file=str(tmp_path / "stranger")), lambda tr: tr.run(["kubectl", "version"])
        )


def test_connection_refused_is_one_clear_line(sshd):
    closed = start_sshd()
    port = closed.port
    stop_sshd(closed)
    with pytest.raises(ConnectError, match=f"connection to 127.0.0.1:{port} refused"):
        run_with(target(sshd, port=port), lambda tr: tr.run(["kubectl", "version"]))


@pytest.fixture
def sshpass() -> None:
    """The password path runs ``sshpass -e``: skip with the reason where it is missing (fail under CI)."""
    if shutil.which("sshpass") is None:
        skip_or_fail("sshpass is not installed (Debian: apt-get install sshpass)")


def test_wrong_password_is_refused(sshd, sshpass, monkeypatch):
    """Via sshpass -e. The current user (root here) has no password we know, so any password is
    wrong; with a throwaway user (below) the refusal is a real mismatch."""
    monkeypatch.setenv("INFRA_TUI_SSH_PASSWORD", "definitely-not-the-password")
    from infra_tui.services.ssh import password_from

    pw = password_from(prompt=False)
    t = target(sshd, identity_file=None, password=pw)
    with pytest.raises(AuthError, match="the password was refused"):
        run_with(t, lambda tr: tr.run(["kubectl", "version"]))
    assert sshd.raw_commands() == []


@pytest.fixture(scope="module")
def password_user():
    user = create_password_user()
    if user is None:
        pytest.skip("cannot create a throwaway local user with a password (needs root and useradd)")
    try:
        yield user
    finally:
        delete_password_user(user.name)


def test_password_login_with_a_real_user(sshd, sshpass, password_user):
    t = target(sshd, user=password_user.name, identity_file=None, password="wrong-" + password_user.password)
    with pytest.raises(AuthError, match="the password was refused"):
        run_with(t, lambda tr: tr.run(["kubectl", "version"]))

    async def body(tr: SshTransport):
        first = await SshKubectlSource(tr).fetch()
        second = await SshKubectlSource(tr).fetch()  # through the master: no password asked again
        return first, second

    t = target(sshd, user=password_user.name, identity_file=None, password=password_user.password)
    first, second = run_with(t, body)
    assert len(first.items) == len(second.items) == 14


def test_timeout_raises_quickly_and_the_next_poll_reconnects(sshd):
    async def body(tr: SshTransport):
        await tr.run(["kubectl", "version"])
        sshd.set_delay(30)
        start = time.monotonic()
        with pytest.raises(SshTimeout, match="no answer from 127.0.0.1"):
            await tr.run(["kubectl", "version"], timeout=1)
        took = time.monotonic() - start
        sshd.set_delay(0)
        result = await tr.run(["kubectl", "version"])
        return took, result

    took, result = run_with(target(sshd), body)
    assert took < 5 and result.ok


def test_connection_dropped_mid_poll_recovers(sshd):
    async def body(tr: SshTransport):
        source = SshKubectlSource(tr)
        await source.fetch()
        master = await tr.master_pid()
        assert master
        sshd.set_delay(3)
        poll = asyncio.create_task(source.fetch())
        await asyncio.sleep(0.8)
        os.kill(master, signal.SIGKILL)  # the connection dies under the running poll
        with pytest.raises((ConnectionLost, SshError, StatusError)):
            await poll
        sshd.set_delay(0)
        snapshot = await source.fetch()  # stale socket: ssh unlinks it and dials again
        return master, await tr.master_pid(), snapshot

    old, new, snapshot = run_with(target(sshd), body)
    assert new and new != old and len(snapshot.items) == 14


def test_server_restart_recovers_through_the_poller(tmp_path):
    """A separate sshd, so stopping it does not disturb the others."""
    server = start_sshd()
    try:

        async def scenario():
            tr = SshTransport(target(server))
            poller = Poller(SshKubectlSource(tr, timeout=5), interval=0.1, timeout=8, max_backoff=0.4)
            try:
                good = await poller.poll_once()
                assert good.snapshot and not good.stale
                master = await tr.master_pid()
                server.stop()
                os.kill(master, signal.SIGKILL)  # the host went away with its connections
                down = await poller.poll_once()
                assert down.stale and down.snapshot is good.snapshot and "refused" in (down.error or "")
                server.start()
                up = await poller.poll_once()
                return up
            finally:
                await tr.close()

        up = asyncio.run(scenario())
        assert not up.stale and up.error is None and len(up.snapshot.items) == 14
    finally:
        stop_sshd(server)


def test_slow_host_shows_stale_data_instead_of_hanging(sshd):
    async def scenario():
        tr = SshTransport(target(sshd))
        poller = Poller(SshKubectlSource(tr, timeout=1.0), interval=0.2, timeout=3.0, max_backoff=1.0)
        try:
            fresh = await poller.poll_once()
            snapshot = fresh.snapshot
            sshd.set_delay(20)
            start = time.monotonic()
            stale = await poller.poll_once()
            took = time.monotonic() - start
            assert stale.snapshot is snapshot and stale.stale_since is not None and stale.failures == 1
            assert "no answer" in stale.error and stale.next_delay == pytest.approx(0.4)
            sshd.set_delay(0)
            recovered = await poller.poll_once()
            return took, recovered
        finally:
            await tr.close()

    took, recovered = asyncio.run(scenario())
    assert took < 3 and not recovered.stale and recovered.failures == 0


def test_garbage_and_failing_kubectl_give_clear_messages(sshd):
    sshd.replay(DATA / "garbage.txt")
    with pytest.raises(StatusError) as info:
        run_with(target(sshd), lambda tr: SshKubectlSource(tr).fetch())
    assert str(info.value).startswith(f"status from ssh://{sshd.user}@127.0.0.1:{sshd.port} is not JSON")
    assert "You must be logged in" in str(info.value)
    sshd.replay(DATA / "bootstrap.json")
    sshd.set_exit(1)
    with pytest.raises(StatusError, match=r"remote kubectl on 127\.0\.0\.1:\d+ failed \(exit 1\)"):
        run_with(target(sshd), lambda tr: SshKubectlSource(tr).fetch())


def test_ssh_config_alias_and_context(sshd):
    t = SshTarget(host="itui-test", ssh_config=str(sshd.ssh_config))
    snapshot = run_with(t, lambda tr: SshKubectlSource(tr, kubectl="kubectl", context="admin@local").fetch())
    assert len(snapshot.items) == 14
    assert sshd.kubectl_calls()[-1][:2] == ["--context", "admin@local"]


def test_two_hundred_kustomizations(sshd):
    sshd.replay(synthetic_kustomization_list(200))
    snapshot = run_with(target(sshd), lambda tr: SshKubectlSource(tr).fetch())
    assert len(snapshot.items) == 200 and snapshot.counts()["ready"] == 200


def test_a_master_that_comes_up_while_the_last_one_exits_is_ended_by_close(sshd, monkeypatch):
    """Two jobs share a transport. One drops the master (its run was cancelled) while the other's
    client is starting and becomes the new master at the same socket path. That socket is its
    own: it is not removed under it, so ``close`` reaches that master too, and no master outlives
    the transport (an unreachable one would live on for ControlPersist)."""
    import infra_tui.services.ssh as ssh_mod
    from tests.processes import dead, wait_dead

    real = ssh_mod.run_command
    masters: list[int] = []

    async def body(tr: SshTransport):
        source = SshKubectlSource(tr)
        await source.fetch()
        first = await tr.master_pid()
        assert first is not None
        masters.append(first)

        async def exit_then_another_job_connects(cmd):
            result = await real(cmd)
            if "-O" in cmd.argv:
                monkeypatch.setattr(ssh_mod, "run_command", real)
                deadline = time.monotonic() + 10
                while not dead(first):  # the master told to exit is gone: the next client is a master
                    assert time.monotonic() < deadline, "the master did not exit"
                    await asyncio.sleep(0.02)
                await source.fetch()
                second = await tr.master_pid()
                assert second is not None and second != first
                masters.append(second)
            return result

        monkeypatch.setattr(ssh_mod, "run_command", exit_then_another_job_connects)
        await tr.drop_master()

    run_with(target(sshd), body)
    assert len(masters) == 2
    assert wait_dead(masters, within=10), "a master outlived the transport"
