"""The read-only SSH transport: the system OpenSSH client, run through ``services.proc``.

- Honours the ssh config (``-F`` when given, else the user's), the agent, jump hosts and identity
  files, because it *is* ``ssh``.
- Multiplexes: ``ControlMaster=auto`` with ``ControlPath`` in a private 0700 temp dir and
  ``ControlPersist``, so every poll after the first reuses one authenticated connection.
- ``StrictHostKeyChecking=yes`` unless the caller opts in to ``accept-new`` (never ``no``).
- ``BatchMode=yes`` unless a password is wanted; a password comes only from
  ``INFRA_TUI_SSH_PASSWORD`` or a prompt, reaches ``sshpass -e`` through the child's ``SSHPASS``
  environment variable, and is never written to disk nor put on a command line.
- One allow-list (``ALLOW_LIST`` / ``check_allowed``): anything else raises ``DisallowedCommand``
  before a byte is sent. Arguments are shell-quoted for the remote shell; names are validated.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import os
import re
import shlex
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from infra_tui.core.settings import ClusterSettings, parse_host
from infra_tui.services.proc import Command, Result, run_command

PASSWORD_ENV = "INFRA_TUI_SSH_PASSWORD"
"""The only environment variable a password is read from."""
CONTROL_PERSIST = "120"
"""Seconds an idle master connection stays up after the last poll."""
SSH_EXIT_ERROR = 255
SSHPASS_WRONG_PASSWORD = 5
SSHPASS_HOST_KEY_UNKNOWN = 6
SSHPASS_HOST_KEY_CHANGED = 7

# ------------------------------------------------------------------ errors


class SshError(Exception):
    """The transport failed; ``str()`` is one line saying what happened and what to do."""


class DisallowedCommand(SshError):
    """A command that is not on the read-only allow-list; nothing was sent."""


class HostKeyError(SshError):
    """The host key is unknown or does not match known_hosts."""


class AuthError(SshError):
    """The server refused the key, the agent's keys or the password."""


class ConnectError(SshError):
    """No connection: refused, unresolvable name, no route."""


class ConnectionLost(SshError):
    """The connection broke while a command ran; the next call reconnects."""


class SshTimeout(SshError):
    """No answer in time; the master connection is dropped so the next call reconnects."""


# ------------------------------------------------------------------ the allow-list

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(
    r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)
CONTEXT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@:/-]{0,252}$")
DURATION = re.compile(r"^\d+(ms|s|m|h)?$")
KUBECTL_PATH = re.compile(r"^(/[A-Za-z0-9_.-]+)*/?kubectl$")
KUBECTL_WRAPPERS = {"k3s", "k0s", "microk8s"}
_INVOLVED = r"involvedObject\.(kind|name|namespace)=[A-Za-z0-9][A-Za-z0-9._-]{0,252}"
EVENT_FIELD_SELECTOR = re.compile(rf"^{_INVOLVED}(,{_INVOLVED}){{0,2}}$")
"""``--field-selector`` of ``get events``: only equality on the object the events are about."""
EVENT_RESOURCES = {"events", "event", "events.events.k8s.io"}
"""Distributions that ship kubectl as ``<wrapper> kubectl``."""

GET_RESOURCES = {
    "kustomizations",
    "kustomization",
    "kustomizations.kustomize.toolkit.fluxcd.io",
    "helmreleases",
    "helmrelease",
    "helmreleases.helm.toolkit.fluxcd.io",
    "helmrepositories",
    "helmrepository",
    "helmrepositories.source.toolkit.fluxcd.io",
    "events",
    "event",
    "events.events.k8s.io",
}


@dataclass(frozen=True)
class Verb:
    """One allowed kubectl verb: its fixed words, the flags it may take and which are required."""

    words: tuple[str, ...]
    """Words right after the global flags, e.g. ``("get",)`` or ``("api-resources",)``."""
    flags: dict[str, object]
    """flag -> ``None`` (takes no value), a set of allowed values, or a compiled pattern."""
    required: dict[str, set[str]] = field(default_factory=dict)
    """flag (canonical name) -> allowed values; the flag must be present."""
    positional: tuple[object, ...] = ()
    """Allowed positional arguments in order: sets of literals or patterns; the rest optional."""
    min_positional: int = 0


ALIASES = {
    "-A": "--all-namespaces",
    "-n": "--namespace",
    "-o": "--output",
    "-f": "--filename",
}

GLOBAL_FLAGS: dict[str, object] = {"--context": CONTEXT_NAME, "--request-timeout": DURATION}
"""Flags allowed between ``kubectl`` and the verb."""

ALLOW_LIST: tuple[Verb, ...] = (
    # kubectl get <flux kind|events> [NAME] (-A | -n NS) -o json
    # kubectl get events -n NS --field-selector involvedObject.kind=K,involvedObject.name=N -o json
    Verb(
        words=("get",),
        flags={
            "--all-namespaces": None,
            "--namespace": DNS1123_LABEL,
            "--output": {"json"},
            "--field-selector": EVENT_FIELD_SELECTOR,  # events only (checked below)
        },
        required={"--output": {"json"}},
        positional=(GET_RESOURCES, DNS1123_SUBDOMAIN),
        min_positional=1,
    ),
    # kubectl version [--client] [-o json|yaml]
    Verb(words=("version",), flags={"--client": None, "--output": {"json", "yaml"}}),
    # kubectl api-resources [--api-group G] [-o name|wide]
    Verb(words=("api-resources",), flags={"--api-group": DNS1123_SUBDOMAIN, "--output": {"name", "wide"}}),
    # kubectl apply --dry-run=server|client -f -  (manifests on stdin; the validation issue)
    Verb(
        words=("apply",),
        flags={
            "--dry-run": {"server", "client"},
            "--filename": {"-"},
            "--output": {"name", "json", "yaml"},
            "--server-side": None,
            "--validate": {"strict", "true", "false", "warn", "ignore"},
        },
        required={"--dry-run": {"server", "client"}, "--filename": {"-"}},
    ),
)
"""Everything that may cross the transport. Nothing else is ever sent."""


def _matches(rule: object, value: str) -> bool:
    if isinstance(rule, re.Pattern):
        return bool(rule.match(value))
    return isinstance(rule, set | frozenset) and value in rule


def _split_flag(token: str) -> tuple[str, str | None]:
    if token.startswith("--") and "=" in token:
        name, value = token.split("=", 1)
        return name, value
    return token, None


def _kubectl_prefix(argv: list[str]) -> int:
    """Length of the kubectl command at the start of ``argv`` (1 or 2 words), or 0."""
    if argv and KUBECTL_PATH.match(argv[0]):
        return 1
    if len(argv) > 1 and argv[0] in KUBECTL_WRAPPERS and argv[1] == "kubectl":
        return 2
    return 0


def check_allowed(argv: list[str]) -> None:
    """Raise ``DisallowedCommand`` unless ``argv`` is on ``ALLOW_LIST``. Pure; sends nothing."""

    def refuse(why: str) -> DisallowedCommand:
        shown = " ".join(shlex.quote(a) for a in argv).encode("unicode_escape").decode("ascii")
        return DisallowedCommand(
            f"refused to send '{shown[:200]}' over SSH: {why}; only kubectl get (kustomizations, "
            "helmreleases, helmrepositories, events; -o json), version, api-resources and "
            "apply --dry-run=server|client -f - are allowed"
        )

    if not argv or any(not isinstance(a, str) for a in argv):
        raise refuse("not a command")
    if any(ch in a for a in argv for ch in "\x00\n\r"):
        raise refuse("control characters in an argument")
    i = _kubectl_prefix(argv)
    if not i:
        raise refuse("not a kubectl command")
    # global flags
    while i < len(argv) and argv[i].startswith("-"):
        name, value = _split_flag(argv[i])
        if name not in GLOBAL_FLAGS:
            raise refuse(f"flag {name} is not allowed before the verb")
        if value is None:
            i += 1
            if i >= len(argv):
                raise refuse(f"{name} needs a value")
            value = argv[i]
        if not _matches(GLOBAL_FLAGS[name], value):
            raise refuse(f"bad value for {name}: {value!r}")
        i += 1
    rest = argv[i:]
    for verb in ALLOW_LIST:
        if tuple(rest[: len(verb.words)]) == verb.words:
            _check_verb(verb, rest[len(verb.words) :], refuse)
            return
    raise refuse(f"verb {rest[0] if rest else '(none)'!r} is not allowed")


def _check_verb(verb: Verb, args: list[str], refuse: Callable[[str], DisallowedCommand]) -> None:
    seen: dict[str, str | None] = {}
    positional: list[str] = []
    j = 0
    while j < len(args):
        token = args[j]
        if token.startswith("-") and token != "-":
            name, value = _split_flag(token)
            name = ALIASES.get(name, name)
            if name not in verb.flags:
                raise refuse(f"flag {name} is not allowed for {' '.join(verb.words)}")
            if name in seen:
                raise refuse(f"flag {name} given twice")
            rule = verb.flags[name]
            if rule is None:
                if value is not None:
                    raise refuse(f"{name} takes no value")
            else:
                if value is None:
                    j += 1
                    if j >= len(args):
                        raise refuse(f"{name} needs a value")
                    value = args[j]
                if not _matches(rule, value):
                    raise refuse(f"bad value for {name}: {value!r}")
            seen[name] = value
        else:
            positional.append(token)
        j += 1
    if len(positional) > len(verb.positional) or len(positional) < verb.min_positional:
        raise refuse(f"wrong number of arguments for {' '.join(verb.words)}")
    for rule, value in zip(verb.positional, positional, strict=False):
        if not _matches(rule, value):
            raise refuse(f"argument {value!r} is not allowed here")
    for name, values in verb.required.items():
        if seen.get(name) not in values:
            raise refuse(f"{' '.join(verb.words)} needs {name}={'|'.join(sorted(values))}")
    if "--field-selector" in seen and (verb.words != ("get",) or positional[0] not in EVENT_RESOURCES):
        raise refuse("--field-selector only with get events")
    if verb.words == ("apply",) and "--server-side" in seen and seen.get("--dry-run") != "server":
        raise refuse("--server-side only with --dry-run=server")


def remote_command(argv: list[str]) -> str:
    """The one string the remote shell parses: every argument shell-quoted."""
    return " ".join(shlex.quote(a) for a in argv)


# ------------------------------------------------------------------ the transport


@dataclass
class SshTarget:
    """Where and how to log in. Built from ``ClusterSettings`` plus flags (``from_settings``)."""

    host: str
    """Host name, address, or an alias from the ssh config."""
    user: str | None = None
    port: int | None = None
    identity_file: str | None = None
    known_hosts_file: str | None = None
    ssh_config: str | None = None
    """``ssh -F`` file; ``None``: the user's config."""
    accept_new_host_key: bool = False
    """Opt-in: ``StrictHostKeyChecking=accept-new`` (a *changed* key is still refused)."""
    password: str | None = field(default=None, repr=False)
    """Held in memory only; from ``INFRA_TUI_SSH_PASSWORD`` or a prompt (``password_from``)."""
    connect_timeout: int = 10

    @classmethod
    def from_settings(cls, cluster: ClusterSettings, **extra: object) -> SshTarget:
        """``host`` may be ``user@host:port``; separate ``user`` / ``port`` settings win."""
        if not cluster.host:
            raise ValueError("no host")
        user, host, port = parse_host(cluster.host)
        return cls(
            host=host,
            user=cluster.user or user,
            port=cluster.port or port,
            identity_file=cluster.identity_file,
            known_hosts_file=cluster.known_hosts_file,
            ssh_config=cluster.ssh_config,
            **extra,  # type: ignore[arg-type]
        )

    @property
    def display(self) -> str:
        """``user@host:port`` as far as known, for messages."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.user + '@' if self.user else ''}{host}{':' + str(self.port) if self.port else ''}"

    @property
    def host_port(self) -> str:
        return f"{self.host}:{self.port or 22}"


def password_from(*, prompt: bool, env: Mapping[str, str] | None = None, target: str = "") -> str | None:
    """The SSH password from ``INFRA_TUI_SSH_PASSWORD``, else an interactive prompt if asked for."""
    environ: Mapping[str, str] = os.environ if env is None else env
    if environ.get(PASSWORD_ENV):
        return environ[PASSWORD_ENV]
    if prompt:
        return getpass.getpass(f"SSH password for {target}: ")
    return None


class SshTransport:
    """Runs allow-listed kubectl commands on one host over a multiplexed OpenSSH connection."""

    def __init__(self, target: SshTarget, *, ssh: str = "ssh", sshpass: str = "sshpass"):
        self.target = target
        self._ssh = ssh
        self._sshpass = sshpass
        self._control_dir: str | None = None
        self.commands_sent = 0
        """How many remote commands were sent (tests and the bench read it)."""

    @property
    def source(self) -> str:
        return f"ssh://{self.target.display}"

    def _control_path(self) -> str:
        if self._control_dir is None:
            # mkdtemp makes it 0700; short prefix: a unix socket path is limited to ~104 bytes.
            self._control_dir = tempfile.mkdtemp(prefix="itui-ssh-")
        return os.path.join(self._control_dir, "%C")

    def ssh_argv(self, remote: str | None = None, *, control: str | None = None) -> list[str]:
        """The full ``ssh`` argv (without ``sshpass``). ``control``: ``exit`` / ``check``."""
        t = self.target
        argv = [self._ssh]
        if t.ssh_config:
            argv += ["-F", t.ssh_config]
        argv += [
            "-o", f"StrictHostKeyChecking={'accept-new' if t.accept_new_host_key else 'yes'}",
            "-o", f"BatchMode={'no' if t.password is not None else 'yes'}",
            "-o", "ControlMaster=auto",
            "-o", f"ControlPath={self._control_path()}",
            "-o", f"ControlPersist={CONTROL_PERSIST}",
            "-o", f"ConnectTimeout={t.connect_timeout}",
            # A dead connection is noticed in ~10 s instead of the TCP timeout.
            "-o", "ServerAliveInterval=5",
            "-o", "ServerAliveCountMax=2",
        ]  # fmt: skip
        if t.password is not None:
            argv += [
                "-o", "PreferredAuthentications=keyboard-interactive,password",
                "-o", "PubkeyAuthentication=no",
                "-o", "NumberOfPasswordPrompts=1",
            ]  # fmt: skip
        if t.known_hosts_file:
            argv += ["-o", f"UserKnownHostsFile={t.known_hosts_file}"]
        if t.identity_file:
            argv += ["-i", t.identity_file]
        if t.port:
            argv += ["-p", str(t.port)]
        if t.user:
            argv += ["-l", t.user]
        if control:
            argv += ["-O", control]
        else:
            argv += ["-T"]  # never a remote TTY
        argv += ["--", t.host]
        if remote is not None:
            argv.append(remote)
        return argv

    def _command(self, ssh_argv: list[str], stdin: bytes | None, timeout: float | None) -> Command:
        if self.target.password is None:
            return Command(ssh_argv, stdin=stdin, timeout=timeout)
        # sshpass -e reads SSHPASS from its own environment: not on any command line, not on disk.
        env = {**os.environ, "SSHPASS": self.target.password}
        return Command([self._sshpass, "-e", *ssh_argv], stdin=stdin, timeout=timeout, env=env)

    async def run(
        self, argv: list[str], *, stdin: bytes | None = None, timeout: float | None = 30.0
    ) -> Result:
        """Run an allow-listed command remotely. A remote non-zero exit comes back as the ``Result``;
        transport failures raise an ``SshError`` subclass with a one-line message."""
        check_allowed(argv)  # before anything is started or sent
        remote = remote_command(argv)
        # The timeout is enforced here, not by run_command: a multiplexing client ignores SIGTERM
        # while its session is open, so the master is told to exit first (which ends the client),
        # and only then is the client's process group killed.
        task = asyncio.ensure_future(run_command(self._command(self.ssh_argv(remote), stdin, None)))
        self.commands_sent += 1
        try:
            done, _ = await asyncio.wait({task}, timeout=timeout)
        except asyncio.CancelledError:
            await self._abandon(task)
            raise
        if not done:
            await self._abandon(task)
            raise SshTimeout(
                f"no answer from {self.target.host_port} within {timeout:g}s; "
                "the connection was reset and the next poll reconnects"
            )
        result = task.result()
        self._raise_for_transport(result)
        return result

    async def _abandon(self, task: asyncio.Future[Result]) -> None:
        try:
            await self.drop_master()
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _known_hosts_shown(self) -> str:
        return self.target.known_hosts_file or "~/.ssh/known_hosts (or the ssh config's UserKnownHostsFile)"

    def _raise_for_transport(self, result: Result) -> None:
        rc = result.returncode
        err = result.stderr
        password = self.target.password is not None
        if rc not in (SSH_EXIT_ERROR, None) and not (password and rc in (5, 6, 7)):
            return  # the remote command's own status
        t = self.target
        low = err.lower()
        if (password and rc == SSHPASS_HOST_KEY_CHANGED) or "remote host identification has changed" in low:
            raise HostKeyError(
                f"host key for {t.host_port} does not match known_hosts {self._known_hosts_shown()}: "
                f"possible man-in-the-middle; verify the host, then fix the entry (ssh-keygen -R '[{t.host}]:{t.port or 22}'); "
                "a changed key is never accepted automatically"
            )
        if (
            (password and rc == SSHPASS_HOST_KEY_UNKNOWN)
            or "host key verification failed" in low
            or ("no " in low and "host key is known" in low)
        ):
            raise HostKeyError(
                f"host key for {t.host_port} is not in known_hosts {self._known_hosts_shown()}; "
                "verify it and add it, or pass --accept-new-host-key"
            )
        if (password and rc == SSHPASS_WRONG_PASSWORD) or "permission denied" in low:
            how = "the password was refused" if password else "no key was accepted"
            fix = (
                "check INFRA_TUI_SSH_PASSWORD or the password typed"
                if password
                else "check --identity-file, the agent (ssh-add -l), or use INFRA_TUI_SSH_PASSWORD / --password-prompt"
            )
            raise AuthError(f"authentication to {t.display} failed: {how}; {fix}")
        if "connection refused" in low:
            raise ConnectError(f"connection to {t.host_port} refused; is sshd running and the port right?")
        if "could not resolve hostname" in low or "name or service not known" in low:
            raise ConnectError(f"cannot resolve host {t.host!r}; check --host or the ssh config")
        if "timed out" in low:
            raise SshTimeout(f"connecting to {t.host_port} timed out; is the host up and reachable?")
        if any(s in low for s in ("no route to host", "network is unreachable")):
            raise ConnectError(f"no route to {t.host_port}; check the network")
        last = next((line.strip() for line in reversed(err.splitlines()) if line.strip()), "")
        if rc is None or any(
            s in low for s in ("closed by", "reset by", "broken pipe", "mux_client", "killed by signal")
        ):
            raise ConnectionLost(
                f"connection to {t.host_port} was lost ({last or 'no message'}); the next poll reconnects"
            )
        raise SshError(f"ssh to {t.host_port} failed (exit {rc}): {last or 'no message'}")

    async def master_pid(self) -> int | None:
        """The pid of the running master connection, or ``None`` (``ssh -O check``)."""
        if self._control_dir is None:
            return None
        result = await run_command(Command(self.ssh_argv(control="check"), timeout=5))
        match = re.search(r"pid=(\d+)", result.stderr)
        return int(match.group(1)) if result.ok and match else None

    async def drop_master(self) -> None:
        """End the master connection if it answers; a socket no master answers on is removed.

        A master that answers removes its own socket. It is not unlinked here: another job's
        client may have become a new master at that path meanwhile, and with its socket gone it
        would live on for ``ControlPersist`` with no way to tell it to exit."""
        if self._control_dir is None or not any(Path(self._control_dir).iterdir()):
            return  # no master socket: nothing to end (and nothing is sent anywhere)
        # Interrupted (a second cancel while shutting down), the socket stays so that ``close``
        # can tell the master again; otherwise the next call reconnects.
        told = await run_command(Command(self.ssh_argv(control="exit"), timeout=5))
        if told.returncode != 0:  # stale: its master is gone
            for entry in Path(self._control_dir).iterdir():
                entry.unlink(missing_ok=True)

    async def close(self) -> None:
        """End the master connection (``ssh -O exit``) and remove the private control dir."""
        if self._control_dir is None:
            return
        try:
            await self.drop_master()
            # a master that a client still starting became while the first was told to exit
            await self.drop_master()
        finally:
            shutil.rmtree(self._control_dir, ignore_errors=True)
            self._control_dir = None

    def close_sync(self) -> None:
        """``close`` from synchronous code (CLI exit paths)."""
        asyncio.run(self.close())
