"""The one table of spec field parsers, shared by the component spec and the edit spec
(``core.spec``): a field has the same checks and the same message in both. Each parser takes the
raw value and the problem list, reports what is wrong as a ``SpecProblem`` (key path, what to do),
and returns the parsed value. Also the checks the wizard's form runs per keystroke
(``dns1123_problem``, ``url_problem``, ``closest``)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
KIND = re.compile(r"^[A-Z][A-Za-z0-9]*$")
DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$")
CHART_NAME = re.compile(r"^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$")
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


def _norm(key: str) -> str:
    return key.lower().replace("_", "").replace("-", "")


def closest(word: str, options: list[str] | tuple[str, ...] | set[str], cutoff: float = 0.6) -> str | None:
    """The option nearest to ``word`` (case, ``_`` and ``-`` ignored), or None."""
    by_norm: dict[str, str] = {}
    for o in options:
        by_norm.setdefault(_norm(o), o)
    hits = difflib.get_close_matches(_norm(word), list(by_norm), n=1, cutoff=cutoff)
    return by_norm[hits[0]] if hits else None


def unknown_keys(data: dict[str, Any], known: tuple[str, ...], prefix: str, out: list[SpecProblem]) -> None:
    for key in data:
        if key in known:
            continue
        hint = closest(str(key), known)
        where = f"{prefix}{key}"
        msg = f"unknown key '{key}'" + (
            f"; did you mean '{hint}'?" if hint else f"; known keys: {', '.join(known)}"
        )
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


def plain(value: Any) -> Any:
    """ruamel/PyYAML containers -> plain dict/list (so specs compare and hash the same)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


# --------------------------------------------------------------------------- field parsers
# (None when there is no value to use)

Problems = list[SpecProblem]


def parse_envs(value: Any, probs: Problems) -> list[str] | None:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(e, str) and e for e in value):
        probs.append(SpecProblem("envs", "must be a list of env names (folders under clusters/)"))
        return None
    return list(dict.fromkeys(value))


def parse_chart_name(value: Any, probs: Problems) -> str | None:
    if not isinstance(value, str) or not value:
        probs.append(SpecProblem("chart.name", "is required: the chart's name in its repository"))
        return None
    if not CHART_NAME.match(value):
        probs.append(
            SpecProblem(
                "chart.name", f"'{value}' is not a chart name (lowercase letters, digits, '-', '_', '.')"
            )
        )
    return value


def parse_chart_version(value: Any, probs: Problems) -> str | None:
    version = _str_or_none(value)
    if version is None:
        return None
    if not is_semver_constraint(version):
        probs.append(
            SpecProblem(
                "chart.version",
                f'{version!r} is not a semver constraint; write one such as "1.x", "~1.2.0" or ">=1.2.0 <2.0.0"',
            )
        )
        return None
    return version.strip()


_SEMVER_TERM = re.compile(
    r"^(=|!=|>=|<=|>|<|~>|~|\^)?v?(\*|[xX]|\d+)(\.(\*|[xX]|\d+)){0,2}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$"
)


def is_semver_constraint(text: str) -> bool:
    """A Helm (Masterminds semver) constraint: terms like ``1.x``, ``>=1.2.0``, ``^1.2``, ``*``,
    joined by spaces, commas, ``||`` and hyphen ranges (``1.2 - 1.4``)."""
    joined = re.sub(r"(>=|<=|!=|~>|[=<>~^])\s+", r"\1", text.strip())  # ">= 1.2" is one term
    terms = re.split(r"\s*(?:\|\||,)\s*|\s+-\s+|\s+", joined)
    return bool(joined) and all(_SEMVER_TERM.match(t) for t in terms if t)


def parse_repository_url(value: Any, probs: Problems) -> str:
    if (p := url_problem(value)) is not None:
        probs.append(SpecProblem("chart.repository.url", p))
    return value if isinstance(value, str) else ""


def parse_values(value: Any, probs: Problems) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    probs.append(SpecProblem("values", f"must be a mapping of Helm values, not {type(value).__name__}"))
    return None


def parse_env_values(value: Any, probs: Problems) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if not isinstance(value, dict):
        probs.append(SpecProblem("env_values", "must be a mapping {env: {values...}}"))
        return out
    for env, vals in value.items():
        if not isinstance(vals, dict):
            probs.append(
                SpecProblem(
                    f"env_values.{env}", f"must be a mapping of Helm values, not {type(vals).__name__}"
                )
            )
        else:
            out[str(env)] = vals
    return out


def parse_timeout(value: Any, probs: Problems) -> str:
    timeout = str(value)
    if not DURATION.match(timeout):
        probs.append(SpecProblem("timeout", f"'{timeout}' is not a duration; write e.g. 10m or 1h30m"))
    return timeout


def parse_webhook(value: Any, probs: Problems) -> bool | None:
    if isinstance(value, bool):
        return value
    probs.append(SpecProblem("webhook", "must be true or false"))
    return None


def parse_creates(value: Any, probs: Problems) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        probs.append(SpecProblem("creates", "must be a list of kinds, e.g. [RecurringJob, Certificate]"))
        return []
    out: list[str] = []
    for kind in value:
        if not isinstance(kind, str) or not KIND.match(kind):
            probs.append(
                SpecProblem("creates", f"'{kind}' is not a Kubernetes kind (CamelCase, e.g. Certificate)")
            )
        elif kind not in out:
            out.append(kind)
    return out


def parse_monitoring(value: Any, probs: Problems) -> dict[str, bool]:
    """The switches stated (``serviceMonitor`` / ``prometheusRule`` -> bool); ``true``/``false`` sets both."""
    if isinstance(value, bool):
        return dict.fromkeys(MONITORING_KEYS, value)
    if not isinstance(value, dict):
        probs.append(SpecProblem("monitoring", "must be {serviceMonitor: bool, prometheusRule: bool}"))
        return {}
    unknown_keys(value, MONITORING_KEYS, "monitoring.", probs)
    out: dict[str, bool] = {}
    for key in MONITORING_KEYS:
        v = value.get(key, False)
        if not isinstance(v, bool):
            probs.append(SpecProblem(f"monitoring.{key}", "must be true or false"))
        elif key in value:
            out[key] = v
    return out


def parse_depends_on(value: Any, probs: Problems, key: str = "dependsOn") -> list[str]:
    """Kustomization references: ``name``, ``namespace/name`` or ``{name, namespace}``."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        probs.append(SpecProblem(key, "must be a list of Kustomization names"))
        return []
    out: list[str] = []
    for entry in value:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            ns = entry.get("namespace")
            dep = f"{ns}/{entry['name']}" if ns else entry["name"]
        elif isinstance(entry, str) and entry:
            dep = entry
        else:
            probs.append(SpecProblem(key, f"{entry!r} is not a Kustomization name"))
            continue
        if dep not in out:
            out.append(dep)
    return out
