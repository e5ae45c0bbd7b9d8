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

The edit spec (``EditSpec``, ``parse_edit``) lives here too; both read their fields with the one
table of field parsers in ``core.spec_fields`` (whose names stay importable from here).

Pure: no Textual, no subprocess.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra_tui.core import textfile, yamlio
from infra_tui.core.spec_fields import (
    CHART_NAME,
    DNS1123_LABEL,
    DURATION,
    KIND,
    MONITORING_KEYS,
    Problems,
    SpecProblem,
    closest,
    dns1123_problem,
    is_semver_constraint,
    parse_chart_name,
    parse_chart_version,
    parse_creates,
    parse_depends_on,
    parse_env_values,
    parse_envs,
    parse_monitoring,
    parse_repository_url,
    parse_timeout,
    parse_values,
    parse_webhook,
    plain,
    unknown_keys,
    url_problem,
)
from infra_tui.errors import UserError

# the field parsers' names stay importable from here (``spec.KIND``, ``spec.closest``...)
__all__ = [
    "CHART_KEYS",
    "CHART_NAME",
    "DNS1123_LABEL",
    "DURATION",
    "EDIT_KEYS",
    "IMMUTABLE",
    "KIND",
    "MONITORING_KEYS",
    "MONITORING_SUFFIX",
    "REPOSITORY_KEYS",
    "TOP_KEYS",
    "UNSET",
    "Chart",
    "ComponentSpec",
    "EditSpec",
    "Monitoring",
    "Problems",
    "Repository",
    "SpecProblem",
    "closest",
    "dns1123_problem",
    "is_semver_constraint",
    "load_edit_file",
    "load_file",
    "load_text",
    "locate_problems",
    "parse",
    "parse_chart_name",
    "parse_chart_version",
    "parse_creates",
    "parse_depends_on",
    "parse_edit",
    "parse_env_values",
    "parse_envs",
    "parse_monitoring",
    "parse_repository_url",
    "parse_timeout",
    "parse_values",
    "parse_webhook",
    "plain",
    "unknown_keys",
    "url_problem",
]

MONITORING_SUFFIX = "-monitoring"

TOP_KEYS = (
    "name",
    "namespace",
    "envs",
    "chart",
    "values",
    "env_values",
    "timeout",
    "webhook",
    "creates",
    "monitoring",
    "dependsOn",
)
CHART_KEYS = ("name", "version", "repository")
REPOSITORY_KEYS = ("name", "url")


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


# --------------------------------------------------------------------------- parsing


def parse(data: Any) -> ComponentSpec:
    """Read a spec from parsed YAML. Problems go to ``spec.problems``; never raises."""
    spec = ComponentSpec()
    probs = spec.problems
    if not isinstance(data, dict):
        probs.append(SpecProblem("", "a component spec is a mapping with at least name and chart"))
        return spec
    data = plain(data)
    unknown_keys(data, TOP_KEYS, "", probs)

    name = data.get("name")
    spec.name = str(name) if isinstance(name, (str, int)) and not isinstance(name, bool) else ""
    if (p := dns1123_problem(name, "name")) is not None:
        probs.append(SpecProblem("name", p))
    elif len(spec.name) > 63 - len(MONITORING_SUFFIX) and _monitoring_requested(data.get("monitoring")):
        probs.append(
            SpecProblem(
                "name", f"'{spec.name}{MONITORING_SUFFIX}' would exceed 63 characters; shorten the name"
            )
        )

    if "namespace" in data and data["namespace"] is not None:
        spec.namespace = str(data["namespace"])
        if (p := dns1123_problem(data["namespace"], "namespace")) is not None:
            probs.append(SpecProblem("namespace", p))

    if data.get("envs") is not None:
        spec.envs = parse_envs(data["envs"], probs) or []
    _parse_chart(data.get("chart"), spec)
    if data.get("values") is not None:
        spec.values = parse_values(data["values"], probs) or {}
    if data.get("env_values") is not None:
        spec.env_values = parse_env_values(data["env_values"], probs)
    if data.get("timeout") is not None:
        spec.timeout = parse_timeout(data["timeout"], probs)
    if data.get("webhook") is not None:
        spec.webhook = parse_webhook(data["webhook"], probs)
    if data.get("creates") is not None:
        spec.creates = parse_creates(data["creates"], probs)
    if data.get("monitoring") is not None:
        mon = parse_monitoring(data["monitoring"], probs)
        spec.monitoring = Monitoring(mon.get("serviceMonitor") is True, mon.get("prometheusRule") is True)
    if data.get("dependsOn") is not None:
        spec.depends_on = parse_depends_on(data["dependsOn"], probs)
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
    unknown_keys(chart, CHART_KEYS, "chart.", probs)
    spec.chart.name = parse_chart_name(chart.get("name"), probs) or ""
    spec.chart.version = parse_chart_version(chart.get("version"), probs)
    repo = chart.get("repository")
    if isinstance(repo, str):
        repo = {"url": repo}
    if repo is None:
        probs.append(
            SpecProblem("chart.repository", "is required: {name, url} with an https:// or oci:// url")
        )
        return
    if not isinstance(repo, dict):
        probs.append(SpecProblem("chart.repository", "must be a mapping {name, url} or a URL"))
        return
    unknown_keys(repo, REPOSITORY_KEYS, "chart.repository.", probs)
    if repo.get("name") is not None:
        spec.chart.repository.name = str(repo["name"])
        if (p := dns1123_problem(repo["name"], "chart.repository.name")) is not None:
            probs.append(SpecProblem("chart.repository.name", p))
    spec.chart.repository.url = parse_repository_url(repo.get("url"), probs)


def load_text(text: str, file: str = "spec") -> ComponentSpec:
    """Parse spec YAML text. Raises ``UserError`` only when the text is not YAML."""
    docs, errors = yamlio.load_documents(text, file)
    if errors:
        e = errors[0]
        raise UserError(e.message, file=e.file, line=e.line)
    if len(docs) > 1:
        raise UserError(
            "holds more than one YAML document; a spec is one mapping", file=file, line=docs[1].line
        )
    spec = parse(docs[0].data if docs else None)
    spec.problems[:] = locate_problems(spec.problems, text, file, docs[0].line if docs else 1)
    return spec


def locate_problems(
    problems: list[SpecProblem], text: str, file: str, first_line: int = 1
) -> list[SpecProblem]:
    """``problems`` with the file and the line of their key in ``text`` (a list item or a derived
    key points at its parent; a problem with no key at the document's first line)."""
    if not problems:
        return problems
    lines = text.splitlines()
    return [
        dataclasses.replace(
            problem,
            file=file,
            line=yamlio.key_line(lines, problem.key.split(".") if problem.key else (), first_line),
        )
        for problem in problems
    ]


def load_file(path: str | Path) -> ComponentSpec:
    """Read a spec file. Raises ``UserError`` for a file that cannot be read or is not YAML."""
    p = Path(path)
    try:
        text = textfile.read_text(p)
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read the spec file: {textfile.why_unreadable(exc)}", file=str(p)) from exc
    return load_text(text, str(p))


# --------------------------------------------------------------------------- the edit spec


class _Unset:
    """The type of ``UNSET``: a field the edit spec does not mention."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset()
EDIT_KEYS = (*TOP_KEYS, "release")
IMMUTABLE = ("name", "namespace")


@dataclass
class EditSpec:
    """Only the fields to change (``infra-tui edit --spec``). ``UNSET`` / ``None`` / empty: leave as is."""

    envs: list[str] = field(default_factory=list)
    chart_name: str | None = None
    chart_version: str | None = None
    repository_url: str | None = None
    values: dict[str, Any] | None = None
    env_values: dict[str, dict[str, Any]] = field(default_factory=dict)
    timeout: str | None | _Unset = UNSET  # str to set, None to remove
    webhook: bool | None = None
    creates: list[str] = field(default_factory=list)  # declared kinds to add
    remove_creates: list[str] = field(default_factory=list)  # declared kinds to drop
    service_monitor: bool | None = None
    prometheus_rule: bool | None = None
    add_deps: list[str] = field(default_factory=list)
    remove_deps: list[str] = field(default_factory=list)
    release: str | None = None  # which HelmRelease, when the component has several
    problems: list[SpecProblem] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not any(
            (
                self.chart_name,
                self.chart_version,
                self.repository_url,
                self.values,
                self.env_values,
                self.timeout is not UNSET,
                self.webhook is not None,
                self.creates,
                self.remove_creates,
                self.service_monitor is not None,
                self.prometheus_rule is not None,
                self.add_deps,
                self.remove_deps,
            )
        )


def parse_edit(data: Any, component: str | None = None) -> EditSpec:
    """Read an edit spec (the keys of the component spec, same checks). Problems go to ``.problems``."""
    e = EditSpec()
    probs = e.problems
    if data is None:
        return e
    if not isinstance(data, dict):
        probs.append(SpecProblem("", "an edit spec is a mapping of the fields to change"))
        return e
    data = plain(data)
    unknown_keys(data, EDIT_KEYS, "", probs)
    for key in IMMUTABLE:
        if key in data and not (key == "name" and data[key] == component):
            probs.append(
                SpecProblem(
                    key,
                    "cannot change with edit; create a new component with `infra-tui new` and move the "
                    "settings over instead",
                )
            )
    if data.get("release") is not None:
        e.release = str(data["release"])
    if data.get("envs") is not None:
        e.envs = parse_envs(data["envs"], probs) or []
    chart = data.get("chart")
    if chart is not None:
        if not isinstance(chart, dict):
            probs.append(SpecProblem("chart", "must be a mapping {name, version, repository: {url}}"))
        else:
            unknown_keys(chart, CHART_KEYS, "chart.", probs)
            if chart.get("name") is not None:
                e.chart_name = parse_chart_name(chart["name"], probs)
            if chart.get("version") is not None:
                e.chart_version = parse_chart_version(chart["version"], probs)
            repo = chart.get("repository")
            if isinstance(repo, str):
                repo = {"url": repo}
            if isinstance(repo, dict):
                unknown_keys(repo, REPOSITORY_KEYS, "chart.repository.", probs)
                if "name" in repo:
                    probs.append(
                        SpecProblem(
                            "chart.repository.name",
                            "cannot change with edit (the HelmRepository is shared by name); "
                            "change the url instead",
                        )
                    )
                if repo.get("url") is not None:
                    e.repository_url = parse_repository_url(repo["url"], probs) or None
            elif repo is not None:
                probs.append(SpecProblem("chart.repository", "must be a mapping {url} or a URL"))
    if data.get("values") is not None:
        e.values = parse_values(data["values"], probs)
    if data.get("env_values") is not None:
        e.env_values = parse_env_values(data["env_values"], probs)
    if "timeout" in data:
        e.timeout = None if data["timeout"] is None else parse_timeout(data["timeout"], probs)
    if data.get("webhook") is not None:
        e.webhook = parse_webhook(data["webhook"], probs)
    creates = data.get("creates")
    if isinstance(creates, dict):  # like dependsOn: {add: [...], remove: [...]}
        unknown_keys(creates, ("add", "remove"), "creates.", probs)
        e.creates = parse_creates(creates.get("add") or [], probs)
        e.remove_creates = parse_creates(creates.get("remove") or [], probs)
    elif creates is not None:
        e.creates = parse_creates(creates, probs)
    if data.get("monitoring") is not None:
        mon = parse_monitoring(data["monitoring"], probs)
        e.service_monitor = mon.get("serviceMonitor")
        e.prometheus_rule = mon.get("prometheusRule")
    deps = data.get("dependsOn")
    if deps is not None:
        if isinstance(deps, (list, str)):
            e.add_deps = parse_depends_on(deps, probs)
        elif isinstance(deps, dict):
            unknown_keys(deps, ("add", "remove"), "dependsOn.", probs)
            e.add_deps = parse_depends_on(deps.get("add") or [], probs, "dependsOn.add")
            e.remove_deps = parse_depends_on(deps.get("remove") or [], probs, "dependsOn.remove")
        else:
            probs.append(SpecProblem("dependsOn", "must be a list to add, or {add: [...], remove: [...]}"))
    return e


def load_edit_file(path: str | Path, component: str | None = None) -> EditSpec:
    """Read an edit spec file. Raises ``UserError`` for a file that cannot be read or is not YAML."""
    p = Path(path)
    try:
        text = textfile.read_text(p)
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read the edit spec: {textfile.why_unreadable(exc)}", file=str(p)) from exc
    docs, errors = yamlio.load_documents(text, str(p))
    if errors:
        raise UserError(errors[0].message, file=errors[0].file, line=errors[0].line)
    edit = parse_edit(docs[0].data if docs else None, component)
    edit.problems[:] = locate_problems(edit.problems, text, str(p), docs[0].line if docs else 1)
    return edit
