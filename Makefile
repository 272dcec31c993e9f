# Two commands do everything on a fresh Debian/Ubuntu machine: `make run` and `make test`.
.PHONY: install run test lint bench clean

VENV_BIN := .venv/bin
CONFIG ?= config.toml

install:
	@scripts/bootstrap.sh

run: install
	$(VENV_BIN)/kiosk run --config $(CONFIG)

test: install
	$(VENV_BIN)/ruff check kiosk tests scripts
	QT_QPA_PLATFORM=offscreen $(VENV_BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile --durations=30; \
	status=$$?; if [ $$status -eq 5 ]; then echo "no tests collected" >&2; exit 1; fi; exit $$status

lint: install
	$(VENV_BIN)/ruff check kiosk tests scripts

bench: install
	$(VENV_BIN)/python scripts/bench_pipeline.py

clean:
	rm -rf .venv build *.egg-info data .pytest_cache
