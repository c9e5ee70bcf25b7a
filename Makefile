# Two commands on a fresh machine:  make app  |  make test
# Both create .venv and install only when pyproject.toml changed (a stamp file records it).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501

.PHONY: app test quick lint format typecheck i18n bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Runtime install (make app) and dev install (make test) are separate stamps, so `make app`
# never pulls the test tools and `make test` upgrades an app-only venv once.
$(VENV)/.stamp-app: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.stamp-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev,test,cluster]'
	touch $@ $(VENV)/.stamp-app

app: $(VENV)/.stamp-app
	$(PY) -m streamlit run streamlit_app.py --server.port $(PORT)

test: $(VENV)/.stamp-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) -m pytest -n 2 --dist loadfile

# The suite without the tests marked slow (training, browsers, torchrun): about a minute.
quick: $(VENV)/.stamp-dev
	$(PY) -m pytest -n 2 --dist loadfile -m "not slow"

# After adding UI text: append the new messages, untranslated, to the Korean catalog; then write
# their msgstr in inspector/i18n/locales/ko/LC_MESSAGES/messages.po (tests/i18n fails until then).
i18n: $(VENV)/.stamp-dev
	$(PY) tools/i18n_update.py

lint: $(VENV)/.stamp-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(VENV)/.stamp-dev
	$(PY) -m mypy

format: $(VENV)/.stamp-dev
	$(PY) -m ruff format .

bench: $(VENV)/.stamp-dev
	$(PY) bench/trace_speed.py
	$(PY) bench/gif_render.py
	$(PY) bench/train_throughput.py
	$(PY) bench/weight_hist.py
	$(PY) bench/inside_speed.py
	$(PY) bench/doctor_overhead.py
	$(PY) bench/hostile_files.py
	$(PY) bench/page_latency.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
