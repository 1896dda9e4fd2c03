"""Builds the hashguard Python package with the project's own CMake.

No PyPI: install with Debian's setuptools, into a venv that sees Debian's
packages (numpy, dask):

    /usr/bin/python3 -m venv --system-site-packages ~/hg-venv
    ~/hg-venv/bin/pip install --no-build-isolation --no-index ./python

The build configures and builds the library in a temporary directory (or
reuses a configured build tree: HASHGUARD_BUILD_DIR=build), then installs its
`python` component into the package: the _hashguard extension (RPATH $ORIGIN),
libhashguard and its format modules (hashguard-modules/) side by side.
HASHGUARD_BUILD_DIR must be absolute (pip runs this from its own directory).
"""
import os
import pathlib
import re
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = pathlib.Path(__file__).resolve().parent
# The project's root (CMakeLists.txt): this directory's parent, or
# HASHGUARD_SOURCE_DIR when python/ was copied elsewhere to build (the tests do).
ROOT = pathlib.Path(os.environ.get("HASHGUARD_SOURCE_DIR", HERE.parent)).resolve()
VERSION = re.search(r"project\(hashguard VERSION ([0-9.]+)", (ROOT / "CMakeLists.txt").read_text()).group(1)


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        out = pathlib.Path(self.get_ext_fullpath(ext.name)).resolve().parent
        temp = pathlib.Path(self.build_temp).resolve()
        build = pathlib.Path(os.environ["HASHGUARD_BUILD_DIR"]).resolve() if os.environ.get("HASHGUARD_BUILD_DIR") \
            else temp / "cmake"
        if not os.environ.get("HASHGUARD_BUILD_DIR"):
            subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release",
                            f"-DPython3_EXECUTABLE={sys.executable}", "-DHASHGUARD_PYTHON=ON",
                            "-DHASHGUARD_BUILD_TESTS=OFF", "-DHASHGUARD_BUILD_BENCH=OFF",
                            "-DHASHGUARD_BUILD_EXAMPLES=OFF"], check=True)
        subprocess.run(["cmake", "--build", str(build), "-j", str(os.cpu_count() or 2), "--target", "hashguard_python"],
                       check=True)
        stage = temp / "stage"
        shutil.rmtree(stage, ignore_errors=True)
        subprocess.run(["cmake", "--install", str(build), "--component", "python", "--prefix", str(stage)], check=True)
        shutil.copytree(stage / "hashguard", out, dirs_exist_ok=True, symlinks=True)


setup(
    name="hashguard",
    version=VERSION,
    description="Scan attachments against known-bad hash lists (PDQ, vPDQ, MD5/SHA) before they are stored",
    license="see LICENSE",
    packages=["hashguard", "hashguard.dask"],
    package_data={"hashguard": ["*.pyi", "py.typed"]},
    ext_modules=[Extension("hashguard._hashguard", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    python_requires=">=3.11",
    install_requires=["numpy"],
    extras_require={"dask": ["dask", "distributed"]},
    zip_safe=False,
)
