"""The component spec: what a user states about a new component (DESIGN.md "Component spec").

A spec comes from a YAML file (``infra-tui new --spec``), the prompts of ``--plain`` or the
wizard's form; all three produce a ``ComponentSpec``. Parsing never raises on bad content: every
problem becomes a ``SpecProblem`` (where, what to do) on the spec, and ``scaffold.plan`` turns them
into refusals, so the user sees every problem at once. Only a file that cannot be read or is not
YAML at all raises ``UserError``.

Keys beyond DESIGN.md:

``env_values``
    ``{env: {values...}}``: HelmRelease value overrides for one env. In a non-primary env they
    become a Flux ``patches`` entry on that env's Kustomization (never a kustomize overlay); the
    env must be one of ``envs``.

Pure: no Textual, no subprocess.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from infra_tui.core import yamlio
from infra_tui.errors import UserError

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
KIND = re.compile(r"^[A-Z][A-Za-z0-9]*$")
DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$")
CHART_NAME = re.compile(r"^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$")
MONITORING_SUFFIX = "-monitoring"

TOP_KEYS = (
    "name", "namespace", "envs", "chart", "values", "env_values", "timeout", "webhook", "creates",
    "monitoring", "dependsOn",
)
CHART_KEYS = ("name", "version", "repository")
REPOSITORY_KEYS = ("name", "url")
MONITORING_KEYS = ("serviceMonitor", "prometheusRule")


@dataclass(frozen=True)
class SpecProblem:
    """One thing wrong with a spec: the key path (``chart.repository.url``) and what to do."""

    key: str
    message: str
    file: str | None = None  # set when the spec was read from a file
    line: int = 0

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: " if self.file and self.line else ""
        return where + (f"{self.key}: {self.message}" if self.key else self.message)


@dataclass
class Repository:
    name: str | None = None  # HelmRepository name; default: the component name
    url: str = ""

    @property
    def oci(self) -> bool:
        return self.url.startswith("oci://")


@dataclass
class Chart:
    name: str = ""
    version: str | None = None  # semver constraint; None: "*" with a REVIEW comment
    repository: Repository = field(default_factory=Repository)


@dataclass
class Monitoring:
    service_monitor: bool = False
    prometheus_rule: bool = False

    @property
    def enabled(self) -> bool:
        return self.service_monitor or self.prometheus_rule


@dataclass
class ComponentSpec:
    """A new component as the user states it. ``None`` means "not stated": the plan picks a default
    and says so in a ``# REVIEW:`` comment and the plan's assumptions."""

    name: str = ""
    namespace: str | None = None
    envs: list[str] = field(default_factory=list)
    chart: Chart = field(default_factory=Chart)
    values: dict[str, Any] = field(default_factory=dict)
    env_values: dict[str, dict[str, Any]] = field(default_factory=dict)
    timeout: str | None = None
    webhook: bool | None = None
    creates: list[str] = field(default_factory=list)
    monitoring: Monitoring = field(default_factory=Monitoring)
    depends_on: list[str] = field(default_factory=list)  # "name" or "namespace/name"
    problems: list[SpecProblem] = field(default_factory=list)

    @property
    def target_namespace(self) -> str:
        return self.namespace or self.name

    @property
    def repository_name(self) -> str:
        return self.chart.repository.name or self.name

    @property
    def monitoring_name(self) -> str:
        return self.name + MONITORING_SUFFIX

    def to_dict(self) -> dict[str, Any]:
        """The spec as the YAML a user would write (only what is stated)."""
        out: dict[str, Any] = {"name": self.name}
        if self.namespace is not None:
            out["namespace"] = self.namespace
        if self.envs:
            out["envs"] = list(self.envs)
        repo: dict[str, Any] = {}
        if self.chart.repository.name is not None:
            repo["name"] = self.chart.repository.name
        repo["url"] = self.chart.repository.url
        chart: dict[str, Any] = {"name": self.chart.name}
        if self.chart.version is not None:
            chart["version"] = self.chart.version
        chart["repository"] = repo
        out["chart"] = chart
        if self.values:
            out["values"] = self.values
        if self.env_values:
            out["env_values"] = self.env_values
        if self.timeout is not None:
            out["timeout"] = self.timeout
        if self.webhook is not None:
            out["webhook"] = self.webhook
        if self.creates:
            out["creates"] = list(self.creates)
        if self.monitoring.enabled:
            out["monitoring"] = {
                "serviceMonitor": self.monitoring.service_monitor,
                "prometheusRule": self.monitoring.prometheus_rule,
            }
        if self.depends_on:
            out["dependsOn"] = list(self.depends_on)
        return out


# --------------------------------------------------------------------------- helpers


def _norm(key: str) -> str:
    return key.lower().replace("_", "").replace("-", "")


def closest(word: str, options: list[str] | tuple[str, ...] | set[str], cutoff: float = 0.6) -> str | None:
    """The option nearest to ``word`` (case, ``_`` and ``-`` ignored), or None."""
    by_norm: dict[str, str] = {}
    for o in options:
        by_norm.setdefault(_norm(o), o)
    hits = difflib.get_close_matches(_norm(word), list(by_norm), n=1, cutoff=cutoff)
    return by_norm[hits[0]] if hits else None


def _unknown_keys(data: dict[str, Any], known: tuple[str, ...], prefix: str, out: list[SpecProblem]) -> None:
    for key in data:
        if key in known:
            continue
        hint = closest(str(key), known)
        where = f"{prefix}{key}"
        msg = f"unknown key '{key}'" + (f"; did you mean '{hint}'?" if hint else f"; known keys: {', '.join(known)}")
        out.append(SpecProblem(where, msg))


def dns1123_problem(value: Any, what: str = "name") -> str | None:
    """Why ``value`` is not a DNS-1123 label, or None."""
    if not isinstance(value, str) or not value:
        return f"{what} is required: a DNS-1123 label (lowercase letters, digits, '-')"
    if len(value) > 63:
        return f"'{value}' is {len(value)} characters; a DNS-1123 label has at most 63"
    if not DNS1123_LABEL.match(value):
        fixed = re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-")
        hint = f"; try '{fixed}'" if fixed and DNS1123_LABEL.match(fixed) else ""
        return f"'{value}' is not a DNS-1123 label (lowercase letters, digits and '-', starting and ending alphanumeric){hint}"
    return None


def url_problem(url: Any) -> str | None:
    """Why ``url`` is not a usable chart repository URL (https:// or oci://), or None."""
    if not isinstance(url, str) or not url:
        return "the chart repository URL is required (https://... or oci://...)"
    parsed = urlparse(url)
    if parsed.scheme not in ("https", "oci"):
        hint = " (plain http is not allowed: use https://)" if parsed.scheme == "http" else ""
        return f"'{url}' must start with https:// or oci://{hint}"
    if not parsed.netloc or any(c.isspace() for c in url):
        return f"'{url}' has no host; write https://charts.example.com or oci://registry.example.com/charts"
    return None


def _str_or_none(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _plain(value: Any) -> Any:
    """ruamel/PyYAML containers -> plain dict/list (so specs compare and hash the same)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# --------------------------------------------------------------------------- parsing


def parse(data: Any) -> ComponentSpec:
    """Read a spec from parsed YAML. Problems go to ``spec.problems``; never raises."""
    spec = ComponentSpec()
    probs = spec.problems
    if not isinstance(data, dict):
        probs.append(SpecProblem("", "a component spec is a mapping with at least name and chart"))
        return spec
    data = _plain(data)
    _unknown_keys(data, TOP_KEYS, "", probs)

    name = data.get("name")
    spec.name = str(name) if isinstance(name, (str, int)) and not isinstance(name, bool) else ""
    if (p := dns1123_problem(name, "name")) is not None:
        probs.append(SpecProblem("name", p))
    elif len(spec.name) > 63 - len(MONITORING_SUFFIX) and _monitoring_requested(data.get("monitoring")):
        probs.append(SpecProblem("name", f"'{spec.name}{MONITORING_SUFFIX}' would exceed 63 characters; shorten the name"))

    if "namespace" in data and data["namespace"] is not None:
        spec.namespace = str(data["namespace"])
        if (p := dns1123_problem(data["namespace"], "namespace")) is not None:
            probs.append(SpecProblem("namespace", p))

    envs = data.get("envs")
    if envs is not None:
        if isinstance(envs, str):
            envs = [envs]
        if not isinstance(envs, list) or not all(isinstance(e, str) and e for e in envs):
            probs.append(SpecProblem("envs", "must be a list of env names (folders under clusters/)"))
        else:
            spec.envs = list(dict.fromkeys(envs))

    _parse_chart(data.get("chart"), spec)

    values = data.get("values")
    if values is not None:
        if isinstance(values, dict):
            spec.values = values
        else:
            probs.append(SpecProblem("values", f"must be a mapping of Helm values, not {type(values).__name__}"))

    env_values = data.get("env_values")
    if env_values is not None:
        if not isinstance(env_values, dict):
            probs.append(SpecProblem("env_values", "must be a mapping {env: {values...}}"))
        else:
            for env, vals in env_values.items():
                if not isinstance(vals, dict):
                    probs.append(SpecProblem(f"env_values.{env}", f"must be a mapping of Helm values, not {type(vals).__name__}"))
                else:
                    spec.env_values[str(env)] = vals

    if data.get("timeout") is not None:
        spec.timeout = str(data["timeout"])
        if not DURATION.match(spec.timeout):
            probs.append(SpecProblem("timeout", f"'{spec.timeout}' is not a duration; write e.g. 10m or 1h30m"))

    if data.get("webhook") is not None:
        if isinstance(data["webhook"], bool):
            spec.webhook = data["webhook"]
        else:
            probs.append(SpecProblem("webhook", "must be true or false"))

    creates = data.get("creates")
    if creates is not None:
        if isinstance(creates, str):
            creates = [creates]
        if not isinstance(creates, list):
            probs.append(SpecProblem("creates", "must be a list of kinds, e.g. [RecurringJob, Certificate]"))
        else:
            for kind in creates:
                if not isinstance(kind, str) or not KIND.match(kind):
                    probs.append(SpecProblem("creates", f"'{kind}' is not a Kubernetes kind (CamelCase, e.g. Certificate)"))
                elif kind not in spec.creates:
                    spec.creates.append(kind)

    _parse_monitoring(data.get("monitoring"), spec)

    deps = data.get("dependsOn")
    if deps is not None:
        if isinstance(deps, str):
            deps = [deps]
        if not isinstance(deps, list):
            probs.append(SpecProblem("dependsOn", "must be a list of Kustomization names"))
        else:
            for entry in deps:
                if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                    ns = entry.get("namespace")
                    dep = f"{ns}/{entry['name']}" if ns else entry["name"]
                elif isinstance(entry, str) and entry:
                    dep = entry
                else:
                    probs.append(SpecProblem("dependsOn", f"{entry!r} is not a Kustomization name"))
                    continue
                if dep not in spec.depends_on:
                    spec.depends_on.append(dep)
    return spec


def _monitoring_requested(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return isinstance(value, dict) and any(v is True for v in value.values())


def _parse_chart(chart: Any, spec: ComponentSpec) -> None:
    probs = spec.problems
    if chart is None:
        probs.append(SpecProblem("chart", "is required: {name, version, repository: {name, url}}"))
        return
    if not isinstance(chart, dict):
        probs.append(SpecProblem("chart", "must be a mapping {name, version, repository: {name, url}}"))
        return
    _unknown_keys(chart, CHART_KEYS, "chart.", probs)
    name = chart.get("name")
    if not isinstance(name, str) or not name:
        probs.append(SpecProblem("chart.name", "is required: the chart's name in its repository"))
    else:
        spec.chart.name = name
        if not CHART_NAME.match(name):
            probs.append(SpecProblem("chart.name", f"'{name}' is not a chart name (lowercase letters, digits, '-', '_', '.')"))
    version = _str_or_none(chart.get("version"))
    if version is not None:
        if not version.strip() or "\n" in version:
            probs.append(SpecProblem("chart.version", "must be a semver constraint such as \"1.x\" or \">=1.2.0 <2.0.0\""))
        else:
            spec.chart.version = version.strip()
    repo = chart.get("repository")
    if isinstance(repo, str):
        repo = {"url": repo}
    if repo is None:
        probs.append(SpecProblem("chart.repository", "is required: {name, url} with an https:// or oci:// url"))
        return
    if not isinstance(repo, dict):
        probs.append(SpecProblem("chart.repository", "must be a mapping {name, url} or a URL"))
        return
    _unknown_keys(repo, REPOSITORY_KEYS, "chart.repository.", probs)
    if repo.get("name") is not None:
        spec.chart.repository.name = str(repo["name"])
        if (p := dns1123_problem(repo["name"], "chart.repository.name")) is not None:
            probs.append(SpecProblem("chart.repository.name", p))
    url = repo.get("url")
    spec.chart.repository.url = str(url) if isinstance(url, str) else ""
    if (p := url_problem(url)) is not None:
        probs.append(SpecProblem("chart.repository.url", p))


def _parse_monitoring(mon: Any, spec: ComponentSpec) -> None:
    if mon is None:
        return
    if isinstance(mon, bool):
        spec.monitoring = Monitoring(mon, mon)
        return
    if not isinstance(mon, dict):
        spec.problems.append(SpecProblem("monitoring", "must be {serviceMonitor: bool, prometheusRule: bool}"))
        return
    _unknown_keys(mon, MONITORING_KEYS, "monitoring.", spec.problems)
    for key in MONITORING_KEYS:
        v = mon.get(key, False)
        if not isinstance(v, bool):
            spec.problems.append(SpecProblem(f"monitoring.{key}", "must be true or false"))
    spec.monitoring = Monitoring(mon.get("serviceMonitor") is True, mon.get("prometheusRule") is True)


def load_text(text: str, file: str = "spec") -> ComponentSpec:
    """Parse spec YAML text. Raises ``UserError`` only when the text is not YAML."""
    docs, errors = yamlio.load_documents(text, file)
    if errors:
        e = errors[0]
        raise UserError(e.message, file=e.file, line=e.line)
    if len(docs) > 1:
        raise UserError("holds more than one YAML document; a spec is one mapping", file=file, line=docs[1].line)
    spec = parse(docs[0].data if docs else None)
    spec.problems[:] = locate_problems(spec.problems, text, file, docs[0].line if docs else 1)
    return spec


def locate_problems(problems: list[SpecProblem], text: str, file: str, first_line: int = 1) -> list[SpecProblem]:
    """``problems`` with the file and the line of their key in ``text`` (a list item or a derived
    key points at its parent; a problem with no key at the document's first line)."""
    if not problems:
        return problems
    lines = key_lines(text)
    located = []
    for problem in problems:
        parts = problem.key.split(".") if problem.key else []
        while parts and ".".join(parts) not in lines:
            parts.pop()
        located.append(dataclasses.replace(problem, file=file, line=lines.get(".".join(parts), first_line)))
    return located


def key_lines(text: str) -> dict[str, int]:
    """Dotted key path -> 1-based line, for every mapping key of a one-document YAML text."""
    import yaml  # noqa: PLC0415 - only when a spec has problems to point at

    out: dict[str, int] = {}
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return out
    stack: list[tuple[Any, str]] = [(root, "")]
    while stack:
        node, prefix = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                path = f"{prefix}{key.value}" if isinstance(key, yaml.ScalarNode) else prefix.rstrip(".")
                out.setdefault(path, key.start_mark.line + 1)
                stack.append((value, path + "."))
    return out


def load_file(path: str | Path) -> ComponentSpec:
    """Read a spec file. Raises ``UserError`` for a file that cannot be read or is not YAML."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read the spec file ({exc.__class__.__name__}: {exc.strerror or exc}); check the path", file=str(p)) from exc
    return load_text(text, str(p))
