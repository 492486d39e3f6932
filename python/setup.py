"""pip install --no-build-isolation ./python  (offline; docs/python.md).

Builds the extension module ionrail._ionrail with the project's own CMake
(the repository root is this directory's parent) and packages it with the
pure-Python files of python/ionrail/. Needs what the C++ build needs
(scripts/deps.sh) plus python3-dev, pybind11-dev and python3-numpy; no
network. The CMake build directory is build-pip/ at the repository root
(IONRAIL_PIP_BUILD_DIR overrides it), so a second install only relinks.
"""
import os
import pathlib
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        if not (ROOT / "CMakeLists.txt").exists() or not (ROOT / "model").is_dir():
            raise RuntimeError(f"{ROOT} is not the ionrail source tree: run pip from a checkout "
                               "(pip install --no-build-isolation ./python), which builds in place")
        build = pathlib.Path(os.environ.get("IONRAIL_PIP_BUILD_DIR", ROOT / "build-pip"))
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 1))
        subprocess.check_call([
            "cmake", "-S", str(ROOT), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release",
            f"-DPython3_EXECUTABLE={sys.executable}", "-DIONRAIL_PYTHON=ON", "-DIONRAIL_BUILD_TESTS=OFF",
            "-DIONRAIL_BUILD_BENCHMARKS=OFF", "-DIONRAIL_CUDA=OFF", "-DIONRAIL_SYSTEMC=OFF",
            "-DIONRAIL_VERILATOR=OFF", "-DIONRAIL_MPI=OFF"])
        subprocess.check_call(["cmake", "--build", str(build), "--target", "ionrail_python", "-j", jobs])
        built = next((build / "python" / "ionrail").glob("_ionrail*.so"))
        target = pathlib.Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built, target)


def version():
    for line in (ROOT / "CMakeLists.txt").read_text().splitlines():
        if line.startswith("project(ionrail VERSION"):
            return line.split()[2]
    raise RuntimeError("no project version in CMakeLists.txt")


setup(
    name="ionrail",
    version=version(),
    description="Ion-migration physics of polymer memristors, from KMC to circuits (Python bindings)",
    packages=["ionrail"],
    package_dir={"ionrail": "ionrail"},
    ext_modules=[CMakeExtension("ionrail._ionrail")],
    cmdclass={"build_ext": CMakeBuild},
    python_requires=">=3.8",
    zip_safe=False,
)
