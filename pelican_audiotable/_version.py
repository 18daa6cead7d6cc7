"""The package's version: a leaf, so that any module may say it."""

__version__ = "0.1.0"
