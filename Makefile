# Two commands do everything on a fresh machine:
#   make demo   - set up, then run the demo chain end to end
#   make test   - set up, then run the full test suite
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup demo test bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml package.json
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test,spark]'
	@# Java for --engine spark and tests/test_spark.py (pyspark 4 needs Java 17+): OS packages, only when missing
	command -v java >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends default-jre-headless >/dev/null; } || \
	  echo "warning: java not installed; the Spark tests will skip"
	npm install --no-audit --no-fund --silent
	@# the browser of the dashboard test (tests/test_serve_dashboard.py): Debian's chromium, as root
	command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "warning: chromium not installed; the dashboard browser test will skip"
	touch $(STAMP)

demo: setup
	$(VENV)/bin/costbasis demo

test: setup
	$(PY) -m pytest

bench: setup
	$(PY) bench/ingest.py
	$(PY) bench/cohorts.py
	$(PY) bench/flows.py
	$(PY) bench/evm.py
	$(PY) bench/regtest_generator.py
	$(PY) bench/scale.py
	$(PY) bench/serve.py
	$(PY) bench/spark.py

clean:
	rm -rf $(VENV) node_modules
