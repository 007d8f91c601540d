"""Print `name==floor` for every dependency in pyproject.toml (issue 21: floors that are true).

The floor of a requirement is the version of its `>=` (or `==`/`~=`) clause; a requirement whose
environment marker is false for this Python and platform is left out. Used as a pip constraints
file, the pins install exactly the lowest versions pyproject.toml claims to support, so a floor
that does not install or does not work fails CI instead of a user's machine.

    python .ci/floors.py [pyproject.toml] [--extra test] > floors.txt
    python .ci/floors.py --check [pyproject.toml]  # exit 1 unless each installed one is its floor

Runs on Python 3.11+ (tomllib); `packaging` is pip's own copy when the package is not installed.
"""

from __future__ import annotations

import sys
from importlib import metadata

import tomllib

try:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
except ImportError:  # a bare venv: pip vendors packaging
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.utils import canonicalize_name


def floors(pyproject: str, extras: list[str]) -> dict[str, str]:
    """``{name: floor}`` for the dependencies (and the named extras) that apply here."""
    with open(pyproject, "rb") as f:
        project = tomllib.load(f)["project"]
    lines = list(project.get("dependencies", []))
    for extra in extras:
        lines += project.get("optional-dependencies", {})[extra]
    out: dict[str, str] = {}
    for line in lines:
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        lows = [s.version for s in req.specifier if s.operator in (">=", "==", "~=", "===")]
        if not lows:
            sys.exit(f"{req.name}: no lower bound in pyproject.toml ('{line}'); add one (>=X)")
        out[canonicalize_name(req.name)] = lows[0]
    return out


def main(argv: list[str]) -> int:
    check = "--check" in argv
    extras = [argv[i + 1] for i, a in enumerate(argv) if a == "--extra"]
    paths = [a for i, a in enumerate(argv)
             if not a.startswith("--") and (i == 0 or argv[i - 1] != "--extra")]
    pins = floors(paths[0] if paths else "pyproject.toml", extras)
    if not check:
        print("\n".join(f"{name}=={version}" for name, version in pins.items()))
        return 0
    wrong = []
    for name, floor in pins.items():
        have = metadata.version(name)
        print(f"{name:16} {have}")
        if Requirement(f"{name}=={floor}").specifier.contains(have, prereleases=True) is False:
            wrong.append(f"{name} {have} (floor {floor})")
    if wrong:
        print("installed above the floor: " + ", ".join(wrong), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
