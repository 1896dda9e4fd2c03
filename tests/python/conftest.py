"""Shared fixtures of the Python tests: the package under test comes from the
build tree (PYTHONPATH=build/python, set by ctest) or an installed copy; the
CLI from HASHGUARD_CLI (ctest sets it) for comparisons with `hashguard scan`."""
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("HASHGUARD_CLI", str(ROOT / "build" / "hashguard"))
    if not os.access(path, os.X_OK):
        pytest.skip(f"the hashguard CLI is not built at {path} (set HASHGUARD_CLI)")
    return path


@pytest.fixture(scope="session")
def photos():
    files = sorted(p for p in (DATA / "photos").iterdir() if p.suffix.lower() in (".jpg", ".png"))
    assert len(files) >= 10
    return files


def pytest_configure(config):
    config.addinivalue_line("markers", "shared: needs ../shared (the reference material); skips without it")


def pytest_sessionfinish(session, exitstatus):
    # Under ctest (HASHGUARD_SKIP_STATUS=77): a run that skipped anything and
    # failed nothing exits 77, which ctest reports as skipped.
    status = os.environ.get("HASHGUARD_SKIP_STATUS")
    if status and exitstatus == 0:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None and reporter.stats.get("skipped"):
            session.exitstatus = int(status)
