"""Envs found from the root sync objects wherever they live (issue 14): a GitRepository of this
repo and the Kustomization in flux-system that syncs it, in a file that is not
``flux-system/gotk-sync.yaml``; tenants' own pairs never become envs. Read through the CLI."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from infra_tui.cli import main
from infra_tui.core import repo
from tests.repo_builder import bootstrapped, helm_release_yaml, ks, kustomization_yaml

GIT = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n"


def git_repository(name: str, namespace: str, url: str) -> str:
    return f"---\n{GIT}metadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n  interval: 1m\n  url: {url}\n"


def sync_ks(name: str, namespace: str, source: str, path: str) -> str:
    return ks(name, path=path, namespace=namespace, source=source, prune=True, wait=None, timeout=None)


def cluster_repo(root: Path, extra: dict[str, str] | None = None) -> Path:
    """One cluster whose sync objects live in ``kubernetes/clusters/dev/config/cluster.yaml``,
    listed by that folder's kustomization.yaml; ``kubernetes/clusters/dev`` has none, so Flux
    generates one over config/ and infra/."""
    files = {
        "kubernetes/clusters/dev/config/kustomization.yaml": kustomization_yaml(
            ["settings.yaml", "cluster.yaml"]
        ),
        "kubernetes/clusters/dev/config/settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
        "  name: cluster-settings\n  namespace: flux-system\ndata:\n  DOMAIN: dev.example.com\n",
        "kubernetes/clusters/dev/config/cluster.yaml": git_repository(
            "flux-system", "flux-system", "https://github.com/example/fleet.git"
        )
        + sync_ks("cluster", "flux-system", "flux-system", "./kubernetes/clusters/dev"),
        "kubernetes/clusters/dev/infra/kustomization.yaml": kustomization_yaml(["web.yaml"]),
        "kubernetes/clusters/dev/infra/web.yaml": sync_ks(
            "web", "flux-system", "flux-system", "./kubernetes/apps/web"
        )
        + sync_ks("web-config", "flux-system", "flux-system", "./kubernetes/apps/web"),
        "kubernetes/apps/web/kustomization.yaml": kustomization_yaml(["helmrelease.yaml"]),
        "kubernetes/apps/web/helmrelease.yaml": helm_release_yaml("web"),
    }
    files.update(extra or {})
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def graph_json(capsys, *argv: str) -> tuple[int, dict]:
    rc = main(["graph", *argv, "--format", "json"])
    out, err = capsys.readouterr()
    assert err == "", err
    return rc, json.loads(out)


def test_sync_objects_outside_gotk_sync_make_an_env(tmp_path, capsys):
    root = cluster_repo(tmp_path)
    rc, data = graph_json(capsys, "--repo", str(root))
    assert rc == 0 and data["envs"] == ["dev"] and data["env"] == "dev"
    assert {(k["name"], k["file"]) for k in data["kustomizations"]} == {
        ("cluster", "kubernetes/clusters/dev/config/cluster.yaml"),
        ("web", "kubernetes/clusters/dev/infra/web.yaml"),
        ("web-config", "kubernetes/clusters/dev/infra/web.yaml"),
    }
    assert data["out_of_reach"] == []  # web's source is the cluster's own GitRepository
    assert repo.load(root).env("dev").entry == ["kubernetes/clusters/dev"]


def test_a_tenant_s_own_pair_is_deployed_but_is_no_env(tmp_path, capsys):
    """A tenant's GitRepository + Kustomization in its namespace, and a GitRepository of another
    repo synced from flux-system: both deployed by dev, neither is a cluster of this repo."""
    team_a = git_repository("team-a", "team-a", "https://github.com/example/team-a") + sync_ks(
        "team-a", "team-a", "team-a", "./kubernetes/tenants/team-a"
    )
    podinfo = git_repository("podinfo", "flux-system", "https://github.com/stefanprodan/podinfo") + sync_ks(
        "podinfo", "flux-system", "podinfo", "./kustomize"
    )
    root = cluster_repo(
        tmp_path,
        {
            "kubernetes/clusters/dev/tenants/team-a.yaml": team_a,
            "kubernetes/clusters/dev/tenants/podinfo.yaml": podinfo,
        },
    )
    for folder in ("kustomize", "kubernetes/tenants/team-a"):  # here too: still the tenants' paths
        (root / folder).mkdir(parents=True)
    rc, data = graph_json(capsys, "--repo", str(root))
    assert rc == 0 and data["envs"] == ["dev"]
    names = {k["name"] for k in data["kustomizations"]}
    assert {"team-a", "podinfo"} <= names
    assert {o["id"] for o in data["out_of_reach"]} == {"team-a/team-a", "flux-system/podinfo"}


def test_a_flux_system_pair_for_another_repo_url_is_no_env(tmp_path, capsys):
    """Where gotk-sync.yaml names this repo's URL (ssh form), a pair with that URL in another
    spelling is a cluster; one named flux-system for another URL is not."""
    other = git_repository("flux-system", "flux-system", "https://github.com/other/fleet") + sync_ks(
        "cluster", "flux-system", "flux-system", "./kubernetes/clusters/edge"
    )
    root = bootstrapped(
        cluster_repo(tmp_path, {"kubernetes/clusters/edge/config/cluster.yaml": other}),
        ["prod"],
        {"clusters/prod/apps.yaml": sync_ks("apps", "flux-system", "flux-system", "./kubernetes/apps/web")},
    )
    rc, data = graph_json(capsys, "--repo", str(root))
    assert rc == 0 and data["envs"] == ["prod", "dev"]


def test_a_self_syncing_pair_with_its_own_source_name_is_an_env(tmp_path, capsys):
    """GitRepository ``home-ops`` (not flux-system) synced by a Kustomization whose path holds the
    file itself: the cluster's root, and what sources ``home-ops`` is read from this repo."""
    root = tmp_path
    files = {
        "kubernetes/flux/config/cluster.yaml": git_repository(
            "home-ops", "flux-system", "https://git.example/home-ops"
        )
        + sync_ks("cluster", "flux-system", "home-ops", "./kubernetes/flux"),
        "kubernetes/flux/apps.yaml": sync_ks("web", "flux-system", "home-ops", "./kubernetes/apps/web"),
        "kubernetes/apps/web/kustomization.yaml": kustomization_yaml(["helmrelease.yaml"]),
        "kubernetes/apps/web/helmrelease.yaml": helm_release_yaml("web"),
        # the same shape outside its own path, for another name: a tenant, not a cluster
        "kubernetes/tenants/sync.yaml": git_repository(
            "tenants", "flux-system", "https://git.example/tenants"
        )
        + sync_ks("tenants", "flux-system", "tenants", "./kubernetes/apps"),
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    rc, data = graph_json(capsys, "--repo", str(root))
    assert rc == 0 and data["envs"] == ["flux"]
    assert {k["name"] for k in data["kustomizations"]} == {"cluster", "web"}
    assert data["out_of_reach"] == []


def test_a_broken_file_that_syncs_nothing_never_exits_2(tmp_path, capsys):
    root = cluster_repo(
        tmp_path, {"kubernetes/scratch/old.yaml": f"{GIT}metadata: [unclosed\n---\nkind: Kustomization\n"}
    )
    rc, data = graph_json(capsys, "--repo", str(root))
    assert rc == 0 and data["envs"] == ["dev"]


def test_the_repo_is_found_from_a_subfolder_up_to_the_git_top(tmp_path, capsys, monkeypatch):
    root = cluster_repo(tmp_path)
    (root / ".git").mkdir()
    monkeypatch.chdir(root / "kubernetes/apps/web")
    rc, data = graph_json(capsys)
    assert rc == 0 and data["envs"] == ["dev"] and len(data["kustomizations"]) == 3


def test_the_root_sync_s_post_build_applies_to_the_entry_s_own_kustomizations(tmp_path, capsys):
    """The sync Kustomization builds the entry folder that holds it: its postBuild (substituteFrom
    the cluster-settings ConfigMap of that folder) reaches the Kustomizations written there."""
    root = cluster_repo(
        tmp_path,
        {
            "kubernetes/clusters/dev/config/cluster.yaml": git_repository(
                "flux-system", "flux-system", "https://github.com/example/fleet.git"
            )
            + sync_ks("cluster", "flux-system", "flux-system", "./kubernetes/clusters/dev")
            + "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-settings\n",
            "kubernetes/clusters/dev/infra/web.yaml": sync_ks(
                "web-${DOMAIN}", "flux-system", "flux-system", "./kubernetes/apps/${APP:=web}"
            ),
        },
    )
    rc, data = graph_json(capsys, "--repo", str(root))
    web = next(k for k in data["kustomizations"] if k["name"].startswith("web"))
    assert rc == 0 and (web["name"], web["path"]) == ("web-dev.example.com", "./kubernetes/apps/web")
    assert data["out_of_reach"] == []


def test_a_fifo_named_yaml_never_blocks_the_search(tmp_path):
    root = cluster_repo(tmp_path)
    os.mkfifo(root / "kubernetes/pipe.yaml")  # outside every cluster: the search reads it, the walk not
    result: list[list[str]] = []
    t = threading.Thread(target=lambda: result.append(sorted(repo.load(root).envs)), daemon=True)
    t.start()
    t.join(30)
    assert result == [["dev"]]
