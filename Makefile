# Samvirke: two commands for a fresh Debian machine (see README.md).
.PHONY: demo test perf setup clean

demo:
	scripts/setup.sh demo
	.venv/bin/samvirke demo

test:
	scripts/test.sh

perf:
	scripts/setup.sh test
	.venv/bin/python perf/run.py $(PERF_ARGS)

setup:
	scripts/setup.sh demo

clean:
	rm -rf .venv node_modules var src/samvirke/static/vendor
