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
    order = ["up", "down", "converge", "ps", "start", "build"]
    files = sorted((f for f in os.listdir(folder) if f not in ("cpu.json", "images.json", "init.json")), key=lambda f: (order.index(f.split("-")[0].split(".")[0]), f.split("-")[1].split(".")[0].zfill(8) if "-" in f else ""))
    print("| benchmark | median (s) | min (s) | max (s) | reyns / this |")
    print("|---|---:|---:|---:|---:|")
    medians = {}
    for name in files:
        with open(os.path.join(folder, name)) as handle:
            results = json.load(handle)["results"]
        base = results[0]["median"]
        for result in results:
            medians[result["command"]] = result["median"]
            print(f"| {result['command']} | {result['median']:.3f} | {result['min']:.3f} | {result['max']:.3f} | {base / result['median']:.2f} |")
    print()
    cpu = None
    if os.path.exists(os.path.join(folder, "cpu.json")):
        with open(os.path.join(folder, "cpu.json")) as handle:
            samples = sorted(json.load(handle)["cpu_seconds_per_start"])
        cpu = samples[len(samples) // 2]
        print(f"CPU seconds per instance start (median of {len(samples)}, CPU usage of its cgroup, read from the host, from `docker run` to the marker plus 2 s): {cpu:.3f} ({', '.join(f'{s:.3f}' for s in samples)})\n")
    sizes = {}
    if os.path.exists(os.path.join(folder, "images.json")):
        with open(os.path.join(folder, "images.json")) as handle:
            sizes = json.load(handle)["image_bytes"]
        print("Image sizes: " + ", ".join(f"{image} {size / 1e6:.0f} MB" for image, size in sizes.items()) + "\n")
    init = None
    if os.path.exists(os.path.join(folder, "init.json")):
        with open(os.path.join(folder, "init.json")) as handle:
            init = json.load(handle)["init_seconds"]
        print(f"`reyns init` on an engine without the OS image and Reyns' images (`bench/run --init`, kept by the other runs): {init:.1f} s\n")
    targets(medians, cpu, sizes, init)
    notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "notes.md")
    if os.path.exists(notes):
        with open(notes) as handle:
            print(handle.read())


def targets(medians, cpu, sizes, init):
    """Checks the issues' targets against this run's medians."""
    rows = []

    def check(what, value, limit, unit="x"):
        if value is None:
            return
        if unit == "x":
            shown, wanted = f"{value:.2f}x", f"<= {limit:.2f}x"
        elif unit == "cpu":
            shown, wanted = f"{value:.3f} s", f"<= {limit:.2f} s"
        elif unit == "init":
            shown, wanted = f"{value:.1f} s", f"<= {limit:.0f} s"
        elif unit == "MB":
            shown, wanted = f"{value / 1e6:.0f} MB", f"<= {limit / 1e6:.0f} MB"
        else:
            shown, wanted = f"{value * 1000:.1f} ms", f"< {limit * 1000:.0f} ms"
        rows.append(f"| {what} | {shown} | {wanted} | {'met' if value <= limit else 'MISSED'} |")

    def ratio(a, b):
        return medians[a] / medians[b] if a in medians and b in medians else None

    for n in (1, 10, 30):
        check(f"run:all vs docker-compose up, N={n}", ratio(f"reyns run:all (N={n})", f"docker-compose up -d + ready (N={n})"), 1.0)
        check(f"run:all vs the parallel floor, N={n}", ratio(f"reyns run:all (N={n})", f"parallel docker run -d + ready (N={n})"), 1.3)
        check(f"clean:all vs docker-compose down, N={n}", ratio(f"reyns clean:all (N={n})", f"docker-compose down (N={n})"), 1.0)
    # Issue 17's start-up targets.
    check("issue 17: run:all vs docker-compose up, N=10", ratio("reyns run:all (N=10)", "docker-compose up -d + ready (N=10)"), 0.35)
    check("issue 17: run:all vs the bare floor (entrypoint sleep, no readiness), N=10", ratio("reyns run:all (N=10)", "parallel docker run -d, entrypoint sleep (N=10)"), 1.5)
    check("issue 17: clean:all vs docker-compose down, N=10", ratio("reyns clean:all (N=10)", "docker-compose down (N=10)"), 0.5)
    check("issue 17: ps vs docker ps with reyns' filter and format", ratio("reyns ps", "docker ps with reyns' filter and format (N=10)"), 1.2)
    check("issue 17: CPU seconds per instance start", cpu, 0.15, unit="cpu")
    check("issue 17: reyns/reyns-base image size", sizes.get("reyns/reyns-base"), 250e6, unit="MB")
    check("issue 17: reyns init on an engine without its images (bench/run --init)", init, 90, unit="init")
    check("ps vs bare docker ps -a", ratio("reyns ps", "docker ps -a"), 1.5)
    check("no-op run:all vs its one docker ps (N=10)", ratio("reyns run:all, nothing changed (N=10)", "docker ps with reyns' filter (N=10)"), 1.5)
    check("run:all recreating 1 of 10 vs one instance start", ratio("reyns run:all, 1 of 10 changed", "docker run -d + ready (N=1)"), 1.3)
    check("reyns' own time per invocation (reyns help)", medians.get("reyns help"), 0.020, unit="s")
    print("## Targets\n")
    print("| target | this run | wanted | |")
    print("|---|---:|---:|---|")
    for row in rows:
        print(row)
    print()


if __name__ == "__main__":
    main(sys.argv[1])
