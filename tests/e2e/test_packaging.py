"""The wheel holds every source, stylesheet and template file; nothing imports top-level widgets/."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from tests.paths import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("dist")
    res = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if res.returncode != 0 and "No module named build" in res.stderr:
        pytest.skip("the 'build' package is not installed (pip install -e '.[test]')")
    assert res.returncode == 0, res.stderr[-2000:]
    (whl,) = out.glob("*.whl")
    return zipfile.ZipFile(whl)


def tracked_files() -> list[str]:
    res = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip("not a git checkout")
    return res.stdout.splitlines()


def expected_in_wheel(path: str) -> str | None:
    """Where a repo file must land in the wheel (None: it is not shipped)."""
    if path.startswith("infra_tui/") and path.endswith((".py", ".tcss")):
        return path
    if path.startswith("widgets/") and path.endswith((".py", ".tcss")):
        return "infra_tui/" + path
    if path.startswith("templates/") and path.endswith((".py", ".yaml", ".yml", ".json", ".json.gz", ".md")):
        return "infra_tui/" + path
    return None


def test_every_source_and_template_file_is_in_the_wheel(wheel):
    names = set(wheel.namelist())
    missing = [dst for f in tracked_files() if (dst := expected_in_wheel(f)) and dst not in names]
    assert missing == []
    assert "infra_tui/templates/rules.yaml" in names
    assert any(n.startswith("infra_tui/templates/demo/clusters/local-kube/") for n in names)
    assert "infra_tui/templates/schemas/kubernetes/1.34.json.gz" in names  # built-in kinds, offline


def test_shipped_kubernetes_schemas_stay_small(wheel):
    """The default install carries every built-in kind's schema of each shipped minor in < 5 MB."""
    sizes = [i.file_size for i in wheel.infolist() if i.filename.startswith("infra_tui/templates/schemas/")]
    assert sizes and sum(sizes) < 5_000_000


def test_console_script_is_declared(wheel):
    entry = next(n for n in wheel.namelist() if n.endswith("entry_points.txt"))
    assert "infra-tui = infra_tui.cli:main" in wheel.read(entry).decode()


def test_textual_is_pinned_exactly():
    text = (ROOT / "pyproject.toml").read_text()
    assert '"textual==' in text


def test_no_module_imports_the_top_level_widgets_folder():
    offenders = []
    for path in list((ROOT / "infra_tui").rglob("*.py")) + list((ROOT / "widgets").rglob("*.py")):
        for line in path.read_text().splitlines():
            s = line.strip()
            if s.startswith(("import widgets", "from widgets", "import templates", "from templates")):
                offenders.append(f"{path.relative_to(ROOT)}: {s}")
    assert offenders == []


def test_ci_runs_the_static_checks_before_the_tests():
    """`.ci/run` fails on a ruff, format, mypy or import-contract error before any test runs."""
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    check = ci.index("./run check")  # a plain command: under `set -e` its failure ends CI
    tests = next(i for i, line in enumerate(ci) if line.startswith("exec ./run test"))
    assert check < tests
    verb = (ROOT / "run").read_text().split("    check)", 1)[1].split(";;", 1)[0]
    for tool in ("ruff check", "ruff format --check", "mypy", "lint-imports"):
        assert f".venv/bin/{tool}" in verb
    assert "./run check" in (ROOT / "README.md").read_text()
