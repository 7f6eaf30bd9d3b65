"""Build script: the ``voice`` packages, and the top-level ``content/`` folder shipped as ``voice.data``."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["voice", "voice.*"]), "voice.data"],
    package_dir={"voice.data": "content"},
    package_data={"voice.data": ["**/*"], "voice.listening": ["*.npz"]},
)
