"""Static security checks that CI runs with the tests (docs/security.md, "Static checks").

- ruff's flake8-bandit rules ("S") pass on the product code, and every `# noqa: S...`
  says why, on the line or in a comment just above it;
- `custodywatch check --deploy` is clean with the environment production has;
- no template holds an inline <script> body or an on*= event handler attribute (the CSP
  forbids both; tests/security/test_served_pages.py checks the pages as served);
- every `# type: ignore` names its mypy error code, and in the product says why on the line
  (mypy's warn_unused_ignores, in .ci/run, fails on one that silences nothing), and the
  modules that mypy skips for their known findings only get fewer.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ROOT / "custodywatch"
BIN = Path(sys.executable).parent

NOQA_S = re.compile(r"#\s*noqa:\s*(S\d{3}(?:\s*,\s*S\d{3})*)(?P<rest>.*)$")


def _ruff() -> str:
    found = shutil.which("ruff", path=str(BIN)) or shutil.which("ruff")
    if found is None:
        pytest.skip("ruff is not installed")
    return found


def test_ruff_security_rules_pass_on_the_product_code():
    completed = subprocess.run(
        [_ruff(), "check", "--select", "S", "--output-format", "concise", str(PRODUCT)],
        cwd=ROOT, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def _explained(line: str, codes: str) -> bool:
    match = NOQA_S.search(line)
    return (match is not None and match.group(1) == codes
            and re.search(r"\w{3,}", match.group("rest")) is not None)


def _unexplained_noqa(paths: list[Path], root: Path = ROOT) -> list[str]:
    """`# noqa: S...` lines with no reason on the line and none in the five above."""
    findings = []
    for path in paths:
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            match = NOQA_S.search(line)
            if match is None:
                continue
            reason_here = re.search(r"\w{3,}", match.group("rest")) is not None
            code_part = line[: match.start()]
            reason_before = "#" in code_part  # a comment, then the noqa
            above = lines[max(0, number - 5): number]
            # A comment above, or the same exception explained on a line just above.
            reason_above = any(a.strip().startswith("#") or _explained(a, match.group(1))
                               for a in above)
            if not (reason_here or reason_before or reason_above):
                findings.append(f"{path.relative_to(root)}:{number + 1}: {line.strip()}")
    return findings


def _product_files() -> list[Path]:
    return sorted(p for p in PRODUCT.rglob("*.py") if "migrations" not in p.parts)


def test_every_security_exception_says_why():
    assert _unexplained_noqa(_product_files()) == []


def test_the_detector_of_unexplained_exceptions_works(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "a = 1  # noqa: S105\n"
        "f = h(0)  # noqa: S311\n"
        "b = 2  # noqa: S105 - a visible prefix, not a secret\n"
        "# values travel as parameters\n"
        "c = 3  # noqa: S608\n"
        "d = f(1)  # noqa: S310 - the configured centre, http(s) only\n"
        "e = g(d)  # noqa: S310\n")
    findings = _unexplained_noqa([sample], root=tmp_path)
    assert findings == ["sample.py:1: a = 1  # noqa: S105", "sample.py:2: f = h(0)  # noqa: S311"]


PRODUCTION_ENVIRONMENT = {
    "DEBUG": "false",
    "ALLOWED_HOSTS": "custodywatch.prokuror.kz",
    "CSRF_TRUSTED_ORIGINS": "https://custodywatch.prokuror.kz",
    "CUSTODYWATCH_HTTPS": "true",
}


def test_check_deploy_is_clean_for_production_settings(tmp_path):
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("DJANGO_", "CUSTODYWATCH_", "DATABASE"))}
    environment.update(PRODUCTION_ENVIRONMENT)
    environment["SECRET_KEY"] = secrets.token_urlsafe(64)
    environment["CUSTODYWATCH_VAR_DIR"] = str(tmp_path)
    completed = subprocess.run(
        [sys.executable, "-m", "custodywatch.cli", "check", "--deploy", "--fail-level",
         "WARNING"], cwd=ROOT, env=environment, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "no issues" in completed.stdout + completed.stderr


def test_check_deploy_does_flag_an_unsafe_configuration(tmp_path):
    """The oracle for the test above: the same check fails on the embedded default."""
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("DJANGO_", "CUSTODYWATCH_", "DATABASE"))}
    environment.update({"DEBUG": "true", "CUSTODYWATCH_VAR_DIR": str(tmp_path)})
    completed = subprocess.run(
        [sys.executable, "-m", "custodywatch.cli", "check", "--deploy", "--fail-level",
         "WARNING"], cwd=ROOT, env=environment, capture_output=True, text=True, check=False)
    output = completed.stdout + completed.stderr
    assert completed.returncode != 0
    assert "security.W018" in output  # DEBUG on
    assert "security.W008" in output  # no HTTPS redirect


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>\s*[^<\s]", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def template_findings(text: str) -> list[str]:
    findings = []
    for name, pattern in (("inline script", INLINE_SCRIPT), ("event handler", EVENT_HANDLER),
                          ("javascript: URL", JAVASCRIPT_URL)):
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            findings.append(f"line {line}: {name}: {match.group(0)[:60]!r}")
    return findings


def test_no_template_has_inline_script_or_event_handlers():
    templates = sorted(PRODUCT.rglob("templates/**/*.html"))
    assert len(templates) > 20
    findings = {str(t.relative_to(ROOT)): template_findings(t.read_text(encoding="utf-8"))
                for t in templates}
    assert {k: v for k, v in findings.items() if v} == {}


@pytest.mark.parametrize("snippet, found", [
    ('<script src="/static/app.js"></script>', False),
    ('<script type="application/json" src="x.js"></script>', False),
    ("<script>alert(1)</script>", True),
    ('<script nonce="x">\n  run()\n</script>', True),
    ('<button onclick="go()">', True),
    ('<a href="javascript:go()">', True),
    ('<p class="online">on=</p>', False),
])
def test_the_template_scanner_finds_what_it_should(snippet, found):
    assert bool(template_findings(snippet)) is found


TYPE_IGNORE = re.compile(r"#\s*type:\s*ignore\b(?P<codes>\[[a-z, -]+\])?(?P<rest>.*)$")


def type_ignore_findings(paths: list[Path], root: Path = ROOT,
                         reason_needed: bool = True) -> list[str]:
    """`# type: ignore` without an error code, or (reason_needed) without a reason after it."""
    findings = []
    for path in paths:
        name = path.relative_to(root).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = TYPE_IGNORE.search(line)
            if match is None:
                continue
            if match.group("codes") is None:
                findings.append(f"{name}:{number}: no error code")
            elif reason_needed and re.search(r"#.*\w{3,}", match.group("rest")) is None:
                findings.append(f"{name}:{number}: no reason")
    return findings


def test_every_type_ignore_names_its_code_and_says_why():
    assert type_ignore_findings(_product_files()) == []
    others = sorted(p for p in [*(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]
                    if p != Path(__file__).resolve())  # this file's samples and docstring
    assert type_ignore_findings(others, reason_needed=False) == []


def test_the_type_ignore_scanner_finds_what_it_should(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "a = f()  # type: ignore\n"
        "b = f()  # type: ignore[attr-defined]\n"
        "c = f()  # type: ignore[attr-defined]  # a mixin's attribute\n"
        "d = f()  # type: ignore[arg-type, union-attr]  # rows of mixed JSON\n"
        "e = 1  # an ordinary comment\n")
    assert type_ignore_findings([sample], root=tmp_path) == [
        "sample.py:1: no error code", "sample.py:2: no reason"]
    assert type_ignore_findings([sample], root=tmp_path, reason_needed=False) == [
        "sample.py:1: no error code"]


# Modules mypy skips for their findings today ([tool.mypy] KNOWN DEBT in pyproject.toml).
MYPY_DEBT_LIMIT = 2


def test_mypy_checks_everything_but_a_shrinking_list_and_flags_unused_ignores():
    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert mypy["warn_unused_ignores"] is True
    assert mypy["check_untyped_defs"] is True
    assert mypy["plugins"] == ["mypy_django_plugin.main"]
    skipped = [module for override in mypy["overrides"] if override.get("ignore_errors")
               for module in override["module"]]
    assert len(skipped) <= MYPY_DEBT_LIMIT, "fix the new findings; never add to the list"
    missing = [m for m in skipped if not (ROOT / (m.replace(".", "/") + ".py")).exists()
               and not (ROOT / m.replace(".", "/") / "__init__.py").exists()]
    assert missing == [], "a module that is gone (or moved): take it off the list"
    strict = [o for o in mypy["overrides"] if o.get("disallow_untyped_defs")]
    assert {"custodywatch.kernels.*", "custodywatch.agent.*",
            "custodywatch.*.services"} <= set(strict[0]["module"])

