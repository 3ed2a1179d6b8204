# Two entry points; both install what they need first (see scripts/setup.sh).
.PHONY: demo test bench build

demo:   ## run the IoT example job on the bundled sample files
	scripts/demo.sh

test:   ## run every test suite and the conformance cases
	scripts/test.sh

bench:  ## run the benchmarks (see BENCHMARKS.md)
	bench/run.sh

build:
	swift build -c release --product saql
