"""scripts/setup.sh: pip's own output (and progress) on the first run, quiet refreshes after.

Run against a stub interpreter in a scratch copy of the script, so no real
environment is built: the stub's ``-m venv`` makes a ``.venv/bin/python`` that
prints a recognisable line for every ``-m pip ...`` call.
"""

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PIP_LINE = "STUB-PIP Downloading torch ━━━━━━━━ 100%"

STUB_PYTHON = f"""#!/usr/bin/env bash
# Stands in for python3: "-m venv DIR" makes DIR/bin/python, a stub pip.
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  mkdir -p "$3/bin"
  cat > "$3/bin/python" <<'INNER'
#!/usr/bin/env bash
echo "{PIP_LINE} $*"
INNER
  chmod +x "$3/bin/python"
fi
"""


@pytest.fixture
def checkout(tmp_path):
    if shutil.which("bash") is None:
        pytest.skip("needs bash")
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "setup.sh", tmp_path / "scripts" / "setup.sh")
    for name in ("pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    stub = tmp_path / "stub-python3"
    stub.write_text(STUB_PYTHON)
    stub.chmod(0o755)
    return tmp_path


def run_setup(checkout) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHON": str(checkout / "stub-python3")}
    return subprocess.run(["bash", "scripts/setup.sh"], cwd=checkout, env=env,
                          capture_output=True, text=True, timeout=60)


def test_first_run_shows_pip_then_refreshes_are_quiet(checkout):
    first = run_setup(checkout)
    assert first.returncode == 0, first.stderr
    assert "first run" in first.stderr
    assert first.stderr.count(PIP_LINE) == 2  # pip upgrade, then the install, both shown
    assert "-e .[test,dev]" in first.stderr
    assert first.stdout == ""  # stdout stays for the command that follows (run.sh)

    again = run_setup(checkout)
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")

    later = time.time() + 5  # pyproject.toml edited: newer than the stamp
    os.utime(checkout / "pyproject.toml", (later, later))
    refresh = run_setup(checkout)
    assert refresh.returncode == 0
    assert PIP_LINE not in refresh.stderr and "refreshing" in refresh.stderr
    assert PIP_LINE in (checkout / ".venv" / "setup.log").read_text()
