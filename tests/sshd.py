"""A real ``sshd`` on 127.0.0.1 for tests and the bench, with a stand-in ``kubectl``.

``start_sshd()`` runs ``/usr/sbin/sshd -D -e -f <generated config>`` as the current user on a free
loopback port with its own host key, an authorized client key and a known_hosts file for the
client. Every remote command goes through a ``ForceCommand`` wrapper that logs the raw command
line (``commands.log``) and puts ``bin/`` first on PATH, where a stand-in ``kubectl`` (POSIX sh,
so polls stay cheap) logs its argv (``kubectl.log``), replays the status JSON file the test chose
(``SshdServer.replay``), can be slowed down (``set_delay``), and records stdin for
``apply --dry-run``.

Fixtures: ``sshd_server`` (session) and ``sshd`` (per test: logs and controls reset). Import
them to every test module through ``pytest_plugins`` in tests/conftest.py.
Where sshd is missing the tests skip with the reason, except under ``CI=true``: then they fail.
Nothing here contacts any address but 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SSHD = "/usr/sbin/sshd"
LOOPBACK = "127.0.0.1"
DATA = Path(__file__).parent / "data" / "status"

WRAPPER = """#!/bin/sh
printf '%s\\n' "$SSH_ORIGINAL_COMMAND" >> {dir}/commands.log
PATH={dir}/bin:/usr/local/bin:/usr/bin:/bin
export PATH
exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"
"""

STAND_IN_KUBECTL = r"""#!/bin/sh
# Stand-in kubectl: logs argv (fields separated by \037), replays status JSON, records stdin.
# Shell builtins only, except one cat: the bench times the transport, not this script.
S=@DIR@/state
{ for a in "$@"; do printf '%s\037' "$a"; done; printf '\n'; } >> @DIR@/kubectl.log
if [ -s "$S/delay" ]; then read -r d < "$S/delay"; sleep "$d"; fi
while [ $# -gt 0 ]; do
  case "$1" in
    --context|--request-timeout) shift 2 ;;
    --context=*|--request-timeout=*) shift ;;
    *) break ;;
  esac
done
case "$1" in
  get)
    case "$2" in
      kustomization*) read -r f < "$S/status-file"; cat "$f" ;;
      helmrelease*)
        if [ -s "$S/hr-file" ]; then read -r f < "$S/hr-file"; cat "$f"
        else printf '{"apiVersion":"v1","items":[],"kind":"List","metadata":{"resourceVersion":""}}\n'; fi ;;
      event*)
        # events/<kind>.<namespace>.<name>.json, picked by -n and the involvedObject field selector
        shift 2; ns=""; sel=""
        while [ $# -gt 0 ]; do
          case "$1" in -n) ns=$2; shift 2 ;; --field-selector) sel=$2; shift 2 ;; *) shift ;; esac
        done
        k=${sel#*involvedObject.kind=}; k=${k%%,*}; n=${sel#*involvedObject.name=}; n=${n%%,*}
        if [ -f "$S/events/$k.$ns.$n.json" ]; then cat "$S/events/$k.$ns.$n.json"
        else printf '{"apiVersion":"v1","items":[],"kind":"List","metadata":{"resourceVersion":""}}\n'; fi ;;
      *) printf '{"apiVersion":"v1","items":[],"kind":"List","metadata":{"resourceVersion":""}}\n' ;;
    esac ;;
  version) printf '{"clientVersion":{"gitVersion":"v1.30.0"},"serverVersion":{"gitVersion":"v1.30.0+stand-in"}}\n' ;;
  api-resources) printf 'NAME              SHORTNAMES   APIVERSION                       NAMESPACED   KIND\nkustomizations    ks           kustomize.toolkit.fluxcd.io/v1   true         Kustomization\n' ;;
  apply) cat > "$S/last-stdin"; printf 'dry-run: stdin received\n' ;;
  *) echo "stand-in kubectl: unexpected verb '$1'" >&2; exit 1 ;;
esac
if [ -s "$S/exit" ]; then read -r x < "$S/exit"; exit "$x"; fi
"""

SSHD_CONFIG = """\
Port {port}
ListenAddress 127.0.0.1
HostKey {dir}/ssh_host_ed25519_key
PidFile {dir}/sshd.pid
AuthorizedKeysFile {dir}/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin yes
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
PermitEmptyPasswords no
ForceCommand {dir}/remote-wrapper
MaxSessions 64
# Debian's bash sources ~/.bashrc for ssh sessions when SHLVL < 2; this machine's root bashrc
# (pyenv init) costs ~170 ms, which would time the test user's dotfiles, not the transport.
SetEnv SHLVL=1
MaxStartups 64
LoginGraceTime 20
LogLevel VERBOSE
"""


def sshd_missing_reason() -> str | None:
    """Why a real sshd cannot run here, or ``None``."""
    if not os.path.exists(SSHD):
        return f"{SSHD} is missing (Debian: apt-get install openssh-server; .ci/run installs it)"
    for tool in ("ssh", "ssh-keygen"):
        if shutil.which(tool) is None:
            return f"{tool} is missing (apt-get install openssh-client)"
    return None


def skip_or_fail(reason: str) -> None:
    """Skip, except under CI=true, where a missing sshd is a failure."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but the sshd tests cannot run: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def _keygen(path: Path, comment: str) -> str:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True, stdin=subprocess.DEVNULL, capture_output=True,
    )  # fmt: skip
    return (path.with_suffix(".pub") if path.suffix else Path(str(path) + ".pub")).read_text().strip()


@dataclass
class SshdServer:
    """One running sshd and everything a client needs to reach it."""

    dir: Path
    port: int
    user: str
    client_key: Path
    known_hosts: Path
    ssh_config: Path
    host_public_key: str
    proc: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def state(self) -> Path:
        return self.dir / "state"

    @property
    def commands_log(self) -> Path:
        return self.dir / "commands.log"

    @property
    def kubectl_log(self) -> Path:
        return self.dir / "kubectl.log"

    @property
    def host(self) -> str:
        """``user@127.0.0.1:port``: the ``--host`` spelling."""
        return f"{self.user}@{LOOPBACK}:{self.port}"

    # -- controls for the stand-in kubectl

    def replay(self, source: str | Path | dict) -> Path:
        """Make ``kubectl get kustomizations`` print this file (or this JSON value / text)."""
        if isinstance(source, Path):
            path = source
        else:
            path = self.state / f"replay-{uuid.uuid4().hex[:8]}.json"
            path.write_text(source if isinstance(source, str) else json.dumps(source))
            path.chmod(0o644)
        (self.state / "status-file").write_text(str(path.resolve()))
        return path

    def replay_helmreleases(self, source: str | Path | dict | None) -> None:
        """Make ``kubectl get helmreleases`` print this file (or JSON value); ``None``: an empty List."""
        target = self.state / "hr-file"
        if source is None:
            target.write_text("")
            return
        if isinstance(source, Path):
            path = source
        else:
            path = self.state / f"hr-{uuid.uuid4().hex[:8]}.json"
            path.write_text(source if isinstance(source, str) else json.dumps(source))
            path.chmod(0o644)
        target.write_text(str(path.resolve()))

    def replay_events(self, folder: Path | None) -> None:
        """Make ``kubectl get events -n NS --field-selector involvedObject.kind=K,involvedObject.name=N``
        print ``folder/K.NS.N.json`` (an empty List for any other object); ``None``: no events."""
        events = self.state / "events"
        shutil.rmtree(events, ignore_errors=True)
        events.mkdir()
        events.chmod(0o755)
        for f in sorted(folder.glob("*.json")) if folder else []:
            shutil.copyfile(f, events / f.name)
            (events / f.name).chmod(0o644)

    def set_delay(self, seconds: float) -> None:
        (self.state / "delay").write_text(f"{seconds:g}" if seconds else "")

    def set_exit(self, code: int) -> None:
        (self.state / "exit").write_text(str(code) if code else "")

    def reset(self) -> None:
        for log in (self.commands_log, self.kubectl_log):
            log.write_text("")
        self.set_delay(0)
        self.set_exit(0)
        (self.state / "last-stdin").unlink(missing_ok=True)
        self.replay(DATA / "bootstrap.json")
        self.replay_helmreleases(None)
        self.replay_events(None)

    def kubectl_calls(self) -> list[list[str]]:
        """Every argv the stand-in kubectl received, in order."""
        lines = self.kubectl_log.read_text().splitlines()
        return [line.split("\x1f")[:-1] for line in lines if line]

    def raw_commands(self) -> list[str]:
        """Every command line that reached the host (before the remote shell parsed it)."""
        return [line for line in self.commands_log.read_text().splitlines() if line]

    def last_stdin(self) -> bytes | None:
        path = self.state / "last-stdin"
        return path.read_bytes() if path.exists() else None

    # -- lifecycle

    def start(self) -> None:
        log = open(self.dir / "sshd.log", "ab")  # kept open for sshd's lifetime
        self.proc = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(self.dir / "sshd_config")],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sshd exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                with socket.create_connection((LOOPBACK, self.port), timeout=1) as s:
                    if s.recv(64).startswith(b"SSH-"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"sshd did not answer on {LOOPBACK}:{self.port}: {self.log_tail()}")

    def stop(self) -> None:
        """Stop the listener (sessions already open keep their own processes; see ``kill_all``)."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, lines: int = 15) -> str:
        path = self.dir / "sshd.log"
        return " | ".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def start_sshd(base: Path | None = None, *, user: str | None = None) -> SshdServer:
    """Generate keys and config in a fresh dir and start sshd on a free loopback port."""
    reason = sshd_missing_reason()
    if reason:
        raise RuntimeError(reason)
    # Not under pytest's basetemp: that is 0700, and a second test user must reach the scripts.
    d = Path(tempfile.mkdtemp(prefix="itui-sshd-", dir=base))
    d.chmod(0o755)
    (d / "bin").mkdir()
    (d / "state").mkdir()
    (d / "state").chmod(0o777)
    host_pub = _keygen(d / "ssh_host_ed25519_key", "infra-tui-test-host")
    client_pub = _keygen(d / "client_key", "infra-tui-test-client")
    (d / "authorized_keys").write_text(client_pub + "\n")
    (d / "authorized_keys").chmod(0o644)
    wrapper = d / "remote-wrapper"
    wrapper.write_text(WRAPPER.format(dir=d))
    kubectl = d / "bin" / "kubectl"
    kubectl.write_text(STAND_IN_KUBECTL.replace("@DIR@", str(d)))
    for script in (wrapper, kubectl):
        script.chmod(0o755)
    for log in ("commands.log", "kubectl.log"):
        (d / log).write_text("")
        (d / log).chmod(0o666)
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # Debian's privilege separation dir
    login = user or _current_user()
    last_error: Exception | None = None
    for _ in range(3):  # the free port may be taken between probe and bind
        port = _free_port()
        (d / "sshd_config").write_text(SSHD_CONFIG.format(port=port, dir=d))
        known_hosts = d / "known_hosts"
        known_hosts.write_text(f"[{LOOPBACK}]:{port} {host_pub}\n")
        ssh_config = d / "ssh_config"
        ssh_config.write_text(
            f"Host itui-test\n  HostName {LOOPBACK}\n  Port {port}\n  User {login}\n"
            f"  IdentityFile {d / 'client_key'}\n  UserKnownHostsFile {known_hosts}\n"
        )
        server = SshdServer(d, port, login, d / "client_key", known_hosts, ssh_config, host_pub)
        (d / "state" / "status-file").write_text(str(DATA / "bootstrap.json"))
        try:
            server.start()
            return server
        except RuntimeError as exc:
            last_error = exc
    raise RuntimeError(f"could not start sshd: {last_error}")


def stop_sshd(server: SshdServer) -> None:
    server.stop()
    kill_strays(server.dir)
    shutil.rmtree(server.dir, ignore_errors=True)


def kill_strays(fixture_dir: Path) -> None:
    """Kill remote-side leftovers of this fixture (a stand-in kubectl still sleeping after its
    client was killed, and its children): processes whose command line names this fixture's
    unique directory, found by pid, never by a broad name."""
    marker = str(fixture_dir).encode()
    parents: dict[int, int] = {}
    doomed: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parents[int(entry.name)] = ppid
        if marker in cmdline and int(entry.name) != os.getpid():
            doomed.add(int(entry.name))
    grown = True
    while grown:
        children = {pid for pid, ppid in parents.items() if ppid in doomed} - doomed
        grown = bool(children)
        doomed |= children
    for pid in doomed:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _current_user() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name


# ------------------------------------------------------------------ a password user (optional)


@dataclass
class PasswordUser:
    name: str
    password: str


def create_password_user() -> PasswordUser | None:
    """A throwaway local user with a known password (needs root and useradd), else ``None``."""
    if os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("chpasswd"):
        return None
    name = f"itui{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex
    try:
        subprocess.run(
            ["useradd", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/bin/sh", name],
            check=True, capture_output=True, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        subprocess.run(["chpasswd"], input=f"{name}:{password}\n".encode(), check=True, capture_output=True)
    except (subprocess.CalledProcessError, OSError):
        delete_password_user(name)
        return None
    return PasswordUser(name, password)


def delete_password_user(name: str) -> None:
    subprocess.run(["userdel", name], capture_output=True, stdin=subprocess.DEVNULL, check=False)


# ------------------------------------------------------------------ status data


def synthetic_kustomization_list(n: int) -> dict:
    """``kubectl get kustomizations -A -o json`` for ``n`` Kustomizations in layers of 10, each
    depending on one of the layer above: the shape the real controller writes (v1 conditions)."""
    items = []
    rev = "main@sha1:696f056df216eea4f9401adbee0ff744d4df390f"
    for i in range(n):
        name = f"component-{i:03d}"
        spec: dict = {
            "interval": "10m",
            "path": f"./namespaces/{name}",
            "prune": True,
            "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
            "wait": True,
            "timeout": "5m",
        }
        if i >= 10:
            spec["dependsOn"] = [{"name": f"component-{i - 10:03d}"}]
        items.append(
            {
                "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
                "kind": "Kustomization",
                "metadata": {"name": name, "namespace": "flux-system", "generation": 1},
                "spec": spec,
                "status": {
                    "conditions": [
                        {
                            "lastTransitionTime": "2025-01-01T00:00:00Z",
                            "message": f"Applied revision: {rev}",
                            "observedGeneration": 1,
                            "reason": "ReconciliationSucceeded",
                            "status": "True",
                            "type": "Ready",
                        }
                    ],
                    "lastAppliedRevision": rev,
                    "lastAttemptedRevision": rev,
                    "observedGeneration": 1,
                },
            }
        )
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


def synthetic_helmrelease_list(n: int, kustomizations: int = 200) -> dict:
    """``kubectl get helmreleases -A -o json`` for ``n`` healthy HelmReleases spread over the
    Kustomizations of ``synthetic_kustomization_list``: the helm-controller v2 status shape of
    tests/data/status/troubleshoot/helmreleases.json (conditions, history, digests)."""
    items = []
    digest = "sha256:4d4e5c3fb2ab7b62be4e1ff4b5b06ab3f4b01c2b9d20b5d8dd8e09dbd0e5a1a7"
    for i in range(n):
        ks = f"component-{i % kustomizations:03d}"
        name, ns = f"release-{i:03d}", ks
        done = f"Helm install succeeded for release {ns}/{name}.v1 with chart {name}@1.2.3"
        items.append(
            {
                "apiVersion": "helm.toolkit.fluxcd.io/v2",
                "kind": "HelmRelease",
                "metadata": {
                    "generation": 1, "name": name, "namespace": ns,
                    "labels": {"kustomize.toolkit.fluxcd.io/name": ks, "kustomize.toolkit.fluxcd.io/namespace": "flux-system"},
                },
                "spec": {
                    "chart": {"spec": {"chart": name, "version": "1.x",
                                       "sourceRef": {"kind": "HelmRepository", "name": name, "namespace": "flux-system"}}},
                    "install": {"remediation": {"retries": 3}}, "upgrade": {"remediation": {"retries": 3}}, "interval": "1h",
                },
                "status": {
                    "conditions": [
                        {"lastTransitionTime": "2025-01-01T00:00:00Z", "message": done, "observedGeneration": 1,
                         "reason": "InstallSucceeded", "status": "True", "type": "Ready"},
                        {"lastTransitionTime": "2025-01-01T00:00:00Z", "message": done, "observedGeneration": 1,
                         "reason": "InstallSucceeded", "status": "True", "type": "Released"},
                    ],
                    "helmChart": f"flux-system/{ns}-{name}",
                    "history": [{"chartName": name, "chartVersion": "1.2.3", "configDigest": digest, "digest": digest,
                                 "firstDeployed": "2025-01-01T00:00:00Z", "lastDeployed": "2025-01-01T00:00:00Z",
                                 "name": name, "namespace": ns, "status": "deployed", "version": 1}],
                    "lastAttemptedConfigDigest": digest, "lastAttemptedGeneration": 1,
                    "lastAttemptedReleaseAction": "install", "lastAttemptedRevision": "1.2.3",
                    "observedGeneration": 1, "storageNamespace": ns,
                },
            }
        )  # fmt: skip
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="session")
def sshd_server() -> Iterator[SshdServer]:
    reason = sshd_missing_reason()
    if reason:
        skip_or_fail(reason)
    server = start_sshd()
    try:
        yield server
    finally:
        stop_sshd(server)


@pytest.fixture
def sshd(sshd_server: SshdServer) -> Iterator[SshdServer]:
    """The session sshd with logs and stand-in controls reset for this test."""
    if sshd_server.proc is None or sshd_server.proc.poll() is not None:
        sshd_server.start()
    sshd_server.reset()
    yield sshd_server
