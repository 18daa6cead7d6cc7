"""Pelican's namespace route to the plugin: found when a site leaves PLUGINS unset."""

from pelican_audiotable import register

__all__ = ["register"]
