"""Fail when the virtualenv lacks what pyproject.toml asks for (runtime and dev).

The venv is installed from requirements-dev.lock; a dependency added to pyproject.toml without
`make lock` would otherwise surface later as an ImportError somewhere.
"""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, requires, version

from packaging.requirements import Requirement

problems = []
for text in requires("mitmachkarte") or []:
    requirement = Requirement(text)
    if requirement.marker is not None and not requirement.marker.evaluate({"extra": "dev"}):
        continue
    try:
        installed = version(requirement.name)
    except PackageNotFoundError:
        problems.append(f"{requirement}: not installed")
        continue
    if not requirement.specifier.contains(installed, prereleases=True):
        problems.append(f"{requirement}: {installed} installed")
if problems:
    print("The lock files do not match pyproject.toml; run `make lock`:", file=sys.stderr)
    print("\n".join(f"  {problem}" for problem in problems), file=sys.stderr)
    sys.exit(1)
