"""The engine's SQL files, grouped by metric (sql/<group>/<name>.sql).

This folder is installed as the package `costbasis.sql` (pyproject.toml, [tool.setuptools.package-dir])
so the wheel carries it; costbasis/engine/db.py finds a file by its name through importlib.resources.
The file makes the folder a regular package: setuptools' editable install cannot map a namespace
package that lives outside its parent's folder.
"""
