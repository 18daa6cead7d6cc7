"""Pelican's side, and the only package that imports Pelican: signals in,
annotated content out, the assets other themes need, the filters and teasers."""
