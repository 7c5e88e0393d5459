"""Runs the tests on the package in this source tree (not an installed
copy); `make python-test` points ARN_LIBRARY at the freshly built library."""

import sys
from pathlib import Path

PYTHON_DIR = Path(__file__).resolve().parents[1]
REPO = PYTHON_DIR.parent
sys.path.insert(0, str(PYTHON_DIR))
