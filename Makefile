# Two commands on a fresh machine: `make demo` and `make test`. Each installs what it needs.

VENV    ?= .venv
PYTHON  := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
PORT    ?= 8000
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEMO    := demo_site

.PHONY: demo demo-build demo-clips test lint benchmark fuzz system-packages clean

# Debian packages: ffmpeg encodes the demo's and the tests' clips, Chromium runs the
# browser tests. Installed only when missing.
system-packages:
	@command -v ffmpeg >/dev/null && [ -x /usr/bin/chromium ] || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    ffmpeg chromium fonts-dejavu-core >/dev/null; }

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e ".[test]"
	touch $@

demo-clips: system-packages $(STAMP)
	$(PYTHON) $(DEMO)/make_clips.py

demo-build: demo-clips
	cd $(DEMO) && ../$(PYTHON) -m pelican content -s publishconf.py -o output --fatal warnings

demo: demo-build
	$(VENV)/bin/pelican-audiotable serve $(DEMO)/output --port $(PORT)

test: system-packages $(STAMP) lint
	$(PYTHON) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

benchmark: system-packages $(STAMP)
	$(PYTHON) benchmarks/bench_metadata.py
	$(PYTHON) benchmarks/bench_hostile.py
	$(PYTHON) benchmarks/bench_real_world.py
	$(PYTHON) benchmarks/bench_build.py
	$(PYTHON) benchmarks/bench_page_weight.py

# The reader's mutation fuzzer, long (the test suite runs a short pass): CASES
# damaged copies of each test clip.
CASES ?= 20000
fuzz: system-packages $(STAMP)
	$(PYTHON) -m tests.fuzz --cases $(CASES)

clean:
	rm -rf $(DEMO)/output $(DEMO)/cache tests/.cache benchmarks/.work dist build
