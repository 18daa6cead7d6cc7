"""The demo site: the seed post, rebuilt with pelican-audiotable and its theme."""

import pelican_audiotable

AUTHOR = "A musician"
SITENAME = "Notes on making music"
SITESUBTITLE = "Recordings, sessions and the tools around them"
SITEURL = ""
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_DATE_FORMAT = "%B %-d, %Y"

THEME = pelican_audiotable.theme_path()
PLUGINS = ["pelican_audiotable"]

STATIC_PATHS = ["music-generation", "images"]
ARTICLE_URL = "posts/{slug}/"
ARTICLE_SAVE_AS = "posts/{slug}/index.html"
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"

# Feeds want an absolute SITEURL; the demo is served wherever it is built.
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None

DEFAULT_PAGINATION = 10
RELATIVE_URLS = True
CACHE_PATH = "cache"

MENUITEMS = ()
# pelican-audiotable is not on PyPI yet: no link to a page that does not exist.
LINKS = (("Pelican", "https://getpelican.com/"),)
