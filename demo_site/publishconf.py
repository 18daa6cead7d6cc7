"""Publishing (and CI) settings: every clip problem fails the build."""

import os
import sys

sys.path.append(os.curdir)
from pelicanconf import *  # noqa: F403

RELATIVE_URLS = False
DELETE_OUTPUT_DIRECTORY = True
AUDIOTABLE_STRICT = True
