# Two entry points; both install what they need first (see scripts/setup.sh).
.PHONY: demo demo-live test bench build

demo:   ## run the IoT example job on the bundled sample files
	scripts/demo.sh

demo-live:   ## run the IoT example at 60x real time with its live page on http://127.0.0.1:8080/
	scripts/demo-live.sh

test:   ## run every test suite and the conformance cases
	scripts/test.sh

bench:  ## run the benchmarks (see BENCHMARKS.md)
	bench/run.sh

build:
	swift build -c release --product saql
