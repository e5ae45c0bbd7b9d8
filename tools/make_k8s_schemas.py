"""Make the compact Kubernetes schemas that offline validation ships (templates/schemas/kubernetes/).

Reads one Kubernetes minor's strict JSON schemas from an installed ``kubernetes-validate`` (the
108 MB PyPI package that carries them for many versions; installed with the ``test`` extra) and
writes ``templates/schemas/kubernetes/<minor>.json.gz``: one gzip'd JSON holding

* ``kubernetes``: the minor (``"1.34"``) and ``source``: where it came from;
* ``kinds``: ``{"apps/v1": {"Deployment": "io.k8s.api.apps.v1.Deployment"}, ...}`` for every
  built-in kind (``x-kubernetes-group-version-kind``);
* ``$defs``: every definition, with only what validation needs (type, properties, required, enum,
  additionalProperties, items, format, oneOf/anyOf/allOf, $ref, ...): descriptions and the
  ``x-kubernetes-*`` patch hints are dropped, ``$ref`` becomes local (``#/$defs/NAME``).

    .venv/bin/python tools/make_k8s_schemas.py 1.34 [1.33 ...] [--out templates/schemas/kubernetes]

The strict flavour sets ``additionalProperties: false`` on every object with fixed properties, as
``kubectl --validate=strict`` and ``kubeconform -strict`` do: an unknown field is an error.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.resources
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "templates" / "schemas" / "kubernetes"

# Keywords of a schema object that validation uses; everything else (description, patch hints) goes.
KEEP = {
    "type", "properties", "required", "enum", "const", "additionalProperties", "items", "format",
    "oneOf", "anyOf", "allOf", "not", "$ref", "minimum", "maximum", "pattern", "minItems", "maxItems",
    "minLength", "maxLength", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string",
}  # fmt: skip
REF = re.compile(r"^(?:/api/_definitions\.json|_definitions\.json)?#/(?:\$defs|definitions)/")


def trim(schema: Any) -> Any:
    """``schema`` with only the keywords in KEEP, recursively; refs made local."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key not in KEEP:
            continue
        if key == "$ref":
            out[key] = REF.sub("#/$defs/", value)
        elif key == "properties":
            out[key] = {name: trim(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not"):
            out[key] = trim(value)
        elif key in ("oneOf", "anyOf", "allOf"):
            out[key] = [trim(sub) for sub in value]
        else:
            out[key] = value
    return out


def source_dir(minor: str) -> Path:
    base = importlib.resources.files("kubernetes_validate").joinpath("kubernetes-json-schema")
    folder = Path(str(base)) / f"v{minor}.0-local-strict"
    if not folder.is_dir():
        have = sorted(p.name for p in Path(str(base)).iterdir())
        raise SystemExit(f"no schemas for {minor} in kubernetes-validate (has: {', '.join(have)})")
    return folder


def make(minor: str) -> dict[str, Any]:
    from kubernetes_validate.version import __version__

    raw = json.loads((source_dir(minor) / "_definitions.json").read_text())
    defs = raw.get("$defs") or raw.get("definitions") or {}
    kinds: dict[str, dict[str, str]] = {}
    for name, schema in sorted(defs.items()):
        for gvk in schema.get("x-kubernetes-group-version-kind") or []:
            api_version = f"{gvk['group']}/{gvk['version']}" if gvk.get("group") else gvk["version"]
            kinds.setdefault(api_version, {}).setdefault(gvk["kind"], name)
    return {
        "kubernetes": minor,
        "source": f"kubernetes-validate {__version__}, v{minor}.0-local-strict (tools/make_k8s_schemas.py)",
        "kinds": {k: dict(sorted(v.items())) for k, v in sorted(kinds.items())},
        "$defs": {name: trim(schema) for name, schema in sorted(defs.items())},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("minors", nargs="+", help="Kubernetes minors, e.g. 1.34")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for minor in args.minors:
        data = json.dumps(make(minor), separators=(",", ":"), sort_keys=True).encode()
        target = args.out / f"{minor}.json.gz"
        # mtime=0: the same input gives the same bytes (reviewable, reproducible)
        target.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
        print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}: "
              f"{len(data) / 1e3:.0f} kB JSON, {target.stat().st_size / 1e3:.0f} kB gzip'd")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
