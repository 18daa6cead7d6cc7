# Two commands on a fresh machine: `make demo` and `make test`. Each installs what it needs.

VENV    ?= .venv
PYTHON  := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo
PORT    ?= 8000
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEMO    := demo_site

.PHONY: demo demo-build demo-clips test lint benchmark fuzz dist system-packages ffmpeg clean

# Debian packages, installed only when missing: ffmpeg encodes the demo's and the
# tests' clips; the browser tests run in three engines, so only `make test` asks
# for them: Chromium (and a font), Firefox ESR, and WebKitGTK's WebDriver with
# GStreamer's decoders, on a virtual screen (Xvfb) with PulseAudio's null sink as
# their speakers. (Firefox's geckodriver comes from a PyPI wheel: see pyproject.)
ffmpeg:
	@command -v ffmpeg >/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    ffmpeg >/dev/null; }

BROWSERS := chromium fonts-dejavu-core firefox-esr webkit2gtk-driver xvfb \
	pulseaudio gstreamer1.0-plugins-base gstreamer1.0-plugins-good \
	gstreamer1.0-libav gstreamer1.0-pulseaudio

system-packages: ffmpeg
	@dpkg -s $(BROWSERS) >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    $(BROWSERS) >/dev/null; }

# The test toolchain, and the package with every extra.
$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e ".[test]"
	touch $@ $(DEMO_STAMP)

# What the demo needs: the package with analysis, and numpy for the stand-in clips.
$(DEMO_STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e ".[demo,analysis]"
	touch $@

demo-clips: ffmpeg $(DEMO_STAMP)
	$(PYTHON) $(DEMO)/make_clips.py

demo-build: demo-clips
	cd $(DEMO) && ../$(PYTHON) -m pelican content -s publishconf.py -o output --fatal warnings

# PORT=8080 make demo serves elsewhere.
demo: demo-build
	$(VENV)/bin/pelican-audiotable serve $(DEMO)/output --port $(PORT)

# A wheel and a source distribution in dist/, for pip install elsewhere.
dist: $(STAMP)
	rm -rf dist
	$(PYTHON) -m build --outdir dist .
	$(PYTHON) -m twine check --strict dist/*

test: system-packages $(STAMP) lint
	$(PYTHON) -m pytest

# TypeScript, pinned in package-lock.json, type-checks the listening script.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

lint: $(STAMP) node_modules/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	node_modules/.bin/tsc -p .

benchmark: system-packages $(STAMP)
	$(PYTHON) benchmarks/bench_metadata.py
	$(PYTHON) benchmarks/bench_hostile.py
	$(PYTHON) benchmarks/bench_real_world.py
	$(PYTHON) benchmarks/bench_build.py
	$(PYTHON) benchmarks/bench_page_weight.py
	$(PYTHON) benchmarks/bench_script_weight.py
	$(PYTHON) benchmarks/bench_forging.py
	$(PYTHON) benchmarks/bench_engines.py
	$(PYTHON) benchmarks/bench_small_site.py
	$(PYTHON) benchmarks/trace_page.py

# The fuzzers, long (the test suite runs a short pass of each): CASES damaged
# copies of each test clip through the reader (COPY_CASES of them made into
# matched blind copies, in worker processes), and MARKUP_CASES fragments of
# HTML through the core, compared with html5lib's reading, and TOKEN_CASES
# hostile readers' result tokens through their parser.
CASES ?= 20000
COPY_CASES ?= 200
MARKUP_CASES ?= 10000
TOKEN_CASES ?= 200000
fuzz: system-packages $(STAMP)
	$(PYTHON) -m tests.fuzz --cases $(CASES) --copy-cases $(COPY_CASES)
	$(PYTHON) -m tests.fuzz_markup --cases $(MARKUP_CASES)
	$(PYTHON) -m tests.fuzz_tokens --cases $(TOKEN_CASES)

clean:
	rm -rf $(DEMO)/output $(DEMO)/cache tests/.cache benchmarks/.work dist build node_modules
