"""Speed and memory benchmarks (`make bench`), reported as ratios against bare library calls."""
