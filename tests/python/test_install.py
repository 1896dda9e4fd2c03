"""`pip install --no-build-isolation` into a venv that sees Debian's packages: the
installed package imports, finds its libhashguard and format modules beside the
extension, and hashes as the build tree does."""
import os
import shutil
import subprocess
import sys

import pytest

import hashguard
from conftest import DATA, ROOT


def test_pip_install_into_a_system_site_packages_venv(tmp_path):
    build = os.environ.get("HASHGUARD_BUILD_DIR")
    if not build:
        pytest.skip("HASHGUARD_BUILD_DIR is not set (ctest sets it): no configured build tree to install from")
    src = tmp_path / "python"  # a copy: pip's in-tree build leaves build/ and *.egg-info behind
    shutil.copytree(ROOT / "python", src, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    venv = tmp_path / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(venv)], check=True)
    env = dict(os.environ, HASHGUARD_BUILD_DIR=os.path.abspath(build), HASHGUARD_SOURCE_DIR=str(ROOT))
    env.pop("PYTHONPATH", None)
    env.pop("HASHGUARD_MODULE_DIR", None)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--no-build-isolation", "--no-index", str(src)],
                   check=True, env=env, cwd=tmp_path)
    script = (
        "import hashguard, json, pydoc, sys\n"
        "h = hashguard.hash_file(sys.argv[1]); heic = hashguard.hash_file(sys.argv[2])\n"
        "print(json.dumps([hashguard.__file__, h.pdq, h.quality, heic.pdq, 'Scanner' in pydoc.render_doc(hashguard)]))\n")
    out = subprocess.run([str(venv / "bin" / "python"), "-c", script, str(DATA / "photos" / "fruits.jpg"),
                          str(DATA / "photos" / "formats" / "fruits.heic")],
                         check=True, capture_output=True, text=True, env=env, cwd=tmp_path).stdout
    path, pdq, quality, heic, documented = __import__("json").loads(out)
    assert path.startswith(str(venv)), path
    here = hashguard.hash_file(DATA / "photos" / "fruits.jpg")
    assert (pdq, quality) == (here.pdq, here.quality)
    assert heic == hashguard.hash_file(DATA / "photos" / "formats" / "fruits.heic").pdq  # the HEIF module, found beside it
    assert documented
