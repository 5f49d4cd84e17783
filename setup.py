"""Build the one C helper; everything else about the package is in pyproject.toml.

The extension is optional: without a compiler the install still works and the JPEG
scan search falls back to Python's regex engine (same answers, about 3x slower).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("trip_companion.media._scan", ["trip_companion/media/_scan.c"],
                             optional=True)])
