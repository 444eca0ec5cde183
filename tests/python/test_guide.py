"""docs/calling-from-ragged.md: its complete example is the file the suite
runs, and it works against the live agent; validate() returns findings."""

import os
import subprocess
import sys

from conftest import ROOT

EXAMPLE = os.path.join(ROOT, "docs", "examples", "ragged_run.py")
MAIN_PY = '''import sys
with open(sys.argv[1]) as f:
    print("first line:", f.readline().strip())
'''


def _python_plugin(env, name, perm):
    d = os.path.join(env["t"], "plugins", name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "plugin.toml"), "w") as f:
        f.write('[plugin]\nname = "%s"\nversion = "1.0.0"\ntype = "processor"\n'
                'entry = ["python3", "main.py"]\n[permissions]\nrequired = ["%s"]\n' % (name, perm))
    with open(os.path.join(d, "main.py"), "w") as f:
        f.write(MAIN_PY)
    os.chmod(d, 0o755)
    return d


def _run_example(env, *argv):
    e = dict(os.environ, RAGGED_SOCKET=env["socket"],
             PYTHONPATH=os.path.join(ROOT, "agent", "python"))
    return subprocess.run([sys.executable, EXAMPLE, *argv], env=e, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=300)


def test_guide_shows_the_example_file_verbatim():
    with open(os.path.join(ROOT, "docs", "calling-from-ragged.md")) as f:
        guide = f.read()
    with open(EXAMPLE) as f:
        assert "```python\n" + f.read() + "```\n" in guide


def test_example_runs_a_plugin_with_medium_risk_consent(env, document):
    d = _python_plugin(env, "guide-reader", "read:documents")
    p = _run_example(env, d, document)
    assert p.returncode == 0, p.stderr
    assert "first line: a document" in p.stdout
    assert "audit: plugin_executed" in p.stdout and "success" in p.stdout


def test_example_refuses_high_risk_without_a_terminal(env, document):
    d = _python_plugin(env, "guide-writer", "write:documents")
    p = _run_example(env, d, document)
    assert p.returncode == 77, (p.stdout, p.stderr)
    assert "not run:" in p.stderr and "first line" not in p.stdout


def test_validate_returns_findings(env, client):
    d = _python_plugin(env, "guide-validate", "read:documents")
    with open(os.path.join(d, "main.py"), "a") as f:
        f.write("import os\nos.system('id')\n")
    findings = client.validate(d)
    assert findings and all(f.rule and f.severity and f.message for f in findings)
    assert any(f.file == "main.py" and f.line for f in findings)
