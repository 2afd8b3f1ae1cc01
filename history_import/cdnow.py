"""The CDNOW master file, as shipped inside the `lifetimes` package on PyPI.

`python -m history_import.cdnow DIRECTORY` downloads the package's wheel
with pip (without installing it) and extracts the file into DIRECTORY.
"""
import glob
import os
import subprocess
import sys
import zipfile

PACKAGE = "lifetimes==0.11.3"
MEMBER = "lifetimes/datasets/CDNOW_master.txt"
FILE_NAME = "CDNOW_master.txt"


def fetch_cdnow(directory):
    """Return the path of CDNOW_master.txt in `directory`, downloading it when missing."""
    path = os.path.join(directory, FILE_NAME)
    if os.path.exists(path):
        return path
    os.makedirs(directory, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--disable-pip-version-check",
         "--dest", directory, PACKAGE],
        check=True,
    )
    wheels = glob.glob(os.path.join(directory, "[Ll]ifetimes-0.11.3-*.whl"))
    if not wheels:
        raise FileNotFoundError(f"pip download left no lifetimes wheel in {directory}")
    with zipfile.ZipFile(wheels[0]) as wheel, open(path + ".part", "wb") as target:
        target.write(wheel.read(MEMBER))
    os.replace(path + ".part", path)
    return path


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m history_import.cdnow DIRECTORY")
    print(fetch_cdnow(sys.argv[1]))
