# govern: `make test` and `make demo` work on a fresh machine with Python 3.11 and pip.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# System packages a test or the demo needs (Debian names): Pango and a font for WeasyPrint's
# PDF, poppler-utils (pdftotext, pdfinfo, pdfdetach, pdftoppm, pdfsig) for the PDF tests,
# libnss3-tools (certutil: the NSS database pdfsig reads trust from). `system-deps`
# installs only what is missing, with apt-get (sudo when not root), and is a no-op otherwise.
# chromium: the browser test opens every report's HTML in it (driven by Playwright's Python
# package with executable_path; Playwright's own browser download is never used).
SYSTEM_PACKAGES ?= libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils jq openssl \
	chromium libnss3-tools

.PHONY: test demo lint bench clean install system-deps js-deps

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet 'lightgbm>=4.0' \
	  "xgboost-cpu>=2.1; sys_platform == 'linux' or sys_platform == 'win32'" \
	  "xgboost>=2.0; sys_platform == 'darwin'"
	touch $(STAMP)

install: $(STAMP)

system-deps:
	@missing=""; \
	if command -v dpkg-query >/dev/null 2>&1; then \
	  for p in $(SYSTEM_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
	      || missing="$$missing $$p"; \
	  done; \
	else \
	  for c in pdftotext pdfinfo pdfdetach pdftoppm; do \
	    command -v $$c >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	  done; \
	  command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	fi; \
	if [ -n "$$missing" ]; then \
	  if ! command -v apt-get >/dev/null 2>&1; then \
	    echo "govern needs these system packages (Debian names):$$missing" >&2; \
	    echo "install them with your package manager (see README, System requirements)" >&2; \
	    exit 1; \
	  fi; \
	  sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
	  echo "installing system packages:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  if [ -z "$$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e '^lock$$' -e '^partial$$' -e '^auxfiles$$')" ]; then \
	    $$sudo apt-get update -qq -o DPkg::Lock::Timeout=600; \
	  fi; \
	  $$sudo apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends $$missing \
	    || { $$sudo apt-get update -qq -o DPkg::Lock::Timeout=600 \
	         && $$sudo apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends $$missing; }; \
	fi

# Sigstore's JavaScript verifier, for the test that checks govern's bundles with it (pinned in
# tests/signing/sigstore-js/package-lock.json; the machine's Node.js and npm).
SIGSTORE_JS := tests/signing/sigstore-js
$(SIGSTORE_JS)/node_modules/.package-lock.json: $(SIGSTORE_JS)/package-lock.json
	npm ci --prefix $(SIGSTORE_JS) --no-audit --no-fund --loglevel=error

js-deps: $(SIGSTORE_JS)/node_modules/.package-lock.json

test: $(STAMP) system-deps js-deps
	$(BIN)/python -m pytest -q

demo: $(STAMP) system-deps
	$(BIN)/govern demo

bench: $(STAMP)
	bash benchmarks/evidently-venv.sh
	$(BIN)/python benchmarks/startup.py
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/report.py
	$(BIN)/python benchmarks/ledger.py
	$(BIN)/python benchmarks/performance.py
	$(BIN)/python benchmarks/explain.py

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .govern reports/*.html reports/*.pdf .pytest_cache .mypy_cache .ruff_cache
