"""Maps the card's folders to collision-free import names (agents/ -> azr_agents, evals/ -> azr_evals,
benchmarks/ -> azr_benchmarks).

Everything else about the distribution is declared in pyproject.toml; PEP 621 has no way to rename a folder's
package, and listing every sub-package by hand would drift.
"""

from setuptools import find_packages, setup

IMPORT_NAME_TO_FOLDER = {"azr_env": "azr_env", "azr_agents": "agents", "azr_evals": "evals",
                         "azr_benchmarks": "benchmarks"}

packages: list[str] = []
package_dir: dict[str, str] = {}
for import_name, folder in IMPORT_NAME_TO_FOLDER.items():
    package_dir[import_name] = folder
    packages += [import_name] + [f"{import_name}.{sub}" for sub in find_packages(folder)]

setup(packages=packages, package_dir=package_dir)
