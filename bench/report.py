"""Turns hyperfine's JSON results into the BENCHMARKS.md table: medians, and
each alternative's ratio to reyns, all measured in the same run."""

import json
import os
import platform
import subprocess
import sys


def version(command):
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip().splitlines()[0]
    except (OSError, IndexError):
        return "unknown"


def main(folder):
    print("# Benchmarks\n")
    print("Produced by `bench/run` (one command, on the real Docker engine); each group was measured side by side in the same run with hyperfine. Median seconds. The last column is reyns' median divided by that line's: 1.20 means reyns took 1.2 times as long as that alternative, 0.80 that it took 20% less time.\n")
    print(f"- machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"- {version(['docker', 'version', '--format', 'docker engine {{.Server.Version}}, client {{.Client.Version}}'])}")
    print(f"- {version(['docker-compose', 'version', '--short'])} (docker-compose)")
    print(f"- {version(['hyperfine', '--version'])}\n")
    order = ["up", "down", "ps", "start", "build"]
    files = sorted(os.listdir(folder), key=lambda f: (order.index(f.split("-")[0].split(".")[0]), int(f.split("-")[1].split(".")[0]) if "-" in f else 0))
    print("| benchmark | median (s) | min (s) | max (s) | reyns / this |")
    print("|---|---:|---:|---:|---:|")
    for name in files:
        with open(os.path.join(folder, name)) as handle:
            results = json.load(handle)["results"]
        base = results[0]["median"]
        for result in results:
            print(f"| {result['command']} | {result['median']:.3f} | {result['min']:.3f} | {result['max']:.3f} | {base / result['median']:.2f} |")
    print()


if __name__ == "__main__":
    main(sys.argv[1])
