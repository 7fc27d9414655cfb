"""Turns the JSON results of bench/alternate and hyperfine into BENCHMARKS.md:
medians, each alternative's ratio to reyns, all measured in the same run, and
for the targets the spread of that ratio round by round."""

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
    print("Produced by `bench/run` (one command, on the real Docker engine); each group was measured side by side in the same run, its commands in turns round after round (`bench/alternate`; hyperfine for reyns' own start). Median seconds. The last column is reyns' median divided by that line's: 1.20 means reyns took 1.2 times as long as that alternative, 0.80 that it took 20% less time.\n")
    print(f"- machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"- {version(['docker', 'version', '--format', 'docker engine {{.Server.Version}}, client {{.Client.Version}}'])}")
    print(f"- {version(['docker-compose', 'version', '--short'])} (docker-compose)")
    print(f"- {version(['hyperfine', '--version'])}\n")
    order = ["up", "down", "converge", "ps", "start", "build", "stock", "load"]
    files = sorted((f for f in os.listdir(folder) if f not in ("cpu.json", "images.json", "init.json", "window.json", "swarm.json", "demo.json", "watch.json", "ui.json", "faults.json", "frontdoor.json")), key=lambda f: (order.index(f.split("-")[0].split(".")[0]), f.split("-")[1].split(".")[0].zfill(8) if "-" in f else ""))
    print("| benchmark | median (s) | min (s) | max (s) | reyns / this |")
    print("|---|---:|---:|---:|---:|")
    medians, rounds = {}, {}
    for name in files:
        with open(os.path.join(folder, name)) as handle:
            measured = json.load(handle)
        results = measured["results"]
        base = results[0]["median"]
        for result in results:
            medians[result["command"]] = result["median"]
            if measured.get("alternated"):
                rounds[result["command"]] = result["times"]
            print(f"| {result['command']} | {result['median']:.3f} | {result['min']:.3f} | {result['max']:.3f} | {base / result['median']:.2f} |")
    print()
    cpu = None
    if os.path.exists(os.path.join(folder, "cpu.json")):
        with open(os.path.join(folder, "cpu.json")) as handle:
            figures = json.load(handle)
        samples = sorted(figures["cpu_seconds_per_start"])
        cpu = samples[len(samples) // 2]
        print(f"CPU seconds per instance start (median of {len(samples)}, CPU usage of its cgroup, read from the host, from `docker run` to the marker plus 2 s): {cpu:.3f} ({', '.join(f'{s:.3f}' for s in samples)})\n")
        if "driver_cpu_seconds_per_start" in figures:
            driver = sorted(figures["driver_cpu_seconds_per_start"])
            print(f"The same starts in the storage driver's daemon (fuse-overlayfs, outside the container's cgroup: every file operation of a new container goes through it, and its time follows the operations more than the bytes), median: {driver[len(driver) // 2]:.3f} s ({', '.join(f'{s:.3f}' for s in driver)})\n")
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
    window = None
    windows = read_json(folder, "window.json")
    if windows:
        windows = windows["window_ms"]
        rounds_table("The window of a recreate (`bench/window`): milliseconds in which the instance's name did not accept a TCP connection while a changed env var replaced it, a prober in another instance trying every 20 ms with a fresh lookup; median, and each round.",
                     ("recreate", "window median (ms)", "each round (ms)"), windows.items())
        window = max(windows["reyns run:all, start-first"])
    door_failed = None
    frontdoor = read_json(folder, "frontdoor.json")
    if frontdoor:
        recreates = frontdoor["recreate"]
        rounds_table("A published instance recreated, seen from the host (`bench/frontdoor`): milliseconds in which `127.0.0.1:<port>` did not answer an HTTP request (a client asking every 20 ms) while a changed env var replaced the instance, and while the front door itself was replaced (its image changed); median and each round.",
                     ("recreate", "window median (ms)", "each round (ms)"), [(what, figures["window_ms"]) for what, figures in recreates.items()])
        rounds_table("The same recreates: requests that failed (of about 100-300 asked in each round).",
                     ("recreate", "failed median", "each round"), [(what, figures["failed"]) for what, figures in recreates.items()])
        rounds_table("What the front door adds to a request (`bench/frontdoor`): 500 HTTP requests one after the other from the host to the same server, through the front door (HAProxy on the host's network) and through a port docker publishes (docker-proxy); median and 99th percentile in ms, each round.",
                     ("path", "median (ms)", "each round (ms)"),
                     [(f"{what}, {key.split('_')[0]}", figures[key]) for what, figures in frontdoor["latency"].items() for key in ("median_ms", "p99_ms")])
        door_failed = max(recreates["reyns run:all, start-first through the front door"]["failed"]
                          + recreates["the front door's own upgrade (its image changed)"]["failed"])
    dns_start = None
    demo_vs_floor = None
    demo = read_json(folder, "demo.json")
    if demo:
        rounds_table("The demo from nothing (`bench/demo`): `reyns run:all` of its DNS and three instances that find each other through it, and the DNS's own start within it (from its `docker run` to ready, as reyns reports it, to 0.1 s).",
                     ("what", "median (s)", "each round (s)"),
                     [(what, demo[key]) for what, key in (("demo run:all", "demo_run_all_s"), ("the DNS's start within it", "dns_start_s"), ("the floor: its four containers by parallel docker run -d + ready", "floor_s")) if key in demo])
        dns_start = median_of(demo["dns_start_s"])
        if "floor_s" in demo:
            demo_vs_floor = median_of(demo["demo_run_all_s"]) / median_of(demo["floor_s"])
    failover = None
    swarm = read_json(folder, "swarm.json")
    if swarm:
        rounds_table("On a three-node swarm (`bench/swarm`, nodes are dockerd containers on this host): `reyns run:all,conf=default-swarm` of the demo from nothing, with host.conf's `swarm` (each instance a service) and with `nodes` (groups on fixed engines), side by side; then the seconds from stopping the worker that runs demo-one to `demo-one` answering TCP again by name.",
                     ("what", "median (s)", "each round (s)"),
                     [(what, swarm[key]) for what, key in (("run:all on the swarm", "run_all_swarm_s"), ("run:all on nodes", "run_all_nodes_s"), ("a node's loss to demo-one answering again", "node_loss_to_answer_s"))])
        failover = max(swarm["node_loss_to_answer_s"])
    watch = read_json(folder, "watch.json")
    if watch:
        watch = watch["seconds"]
        rounds_table("`reyns watch` (`bench/watch`): seconds from a saved file to the change visible in the instance, beside doing it by hand, round after round. Sync: a file under demo-one's `sync` path, seen by a watcher inside demo-one; by hand, `docker cp` of it. Rebuild + recreate: a line added to the demo's prestartup script, until `docker logs <project>-demo-one` shows it (reyns builds, then recreates the three demo instances start-first); by hand, `docker build` of the service's folder and `docker run -d` of one instance until it is ready and shows the line.",
                     ("what", "median (s)", "each round (s)"), watch.items())
    ui = read_json(folder, "ui.json")
    if ui:
        rounds_table("The dashboard in headless Chromium (`bench/ui`, running `tests/cli/ui.rs` alone): milliseconds from the page's start to its first render of 300 instances, and the longest the page's main thread was busy (a 50 ms heartbeat's longest gap) while 10,000 log lines poured in.",
                     ("what", "median (ms)", "each round (ms)"),
                     [("300 instances, first render", ui["render_300_ms"]), ("10,000 log lines, longest block", ui["longest_block_10000_lines_ms"])])
    targets(medians, rounds, cpu, sizes, init, window, failover, dns_start, watch, ui, demo_vs_floor, door_failed)
    notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "notes.md")
    if os.path.exists(notes):
        with open(notes) as handle:
            print(handle.read())


def spread(rounds, a, b):
    """The ratio a/b of each round (both measured in it, one after the other):
    its lowest and highest, and with eight rounds or more its middle half."""
    if a not in rounds or b not in rounds or len(rounds[a]) != len(rounds[b]):
        return ""
    ratios = sorted(x / y for x, y in zip(rounds[a], rounds[b]))
    shown = f"{ratios[0]:.2f}-{ratios[-1]:.2f}x over {len(ratios)}"
    if len(ratios) >= 8:
        quarter = len(ratios) // 4
        shown += f" (middle half {ratios[quarter]:.2f}-{ratios[-1 - quarter]:.2f}x)"
    return shown


def read_json(folder, name):
    """A result file of a side benchmark (bench/window, bench/demo, bench/swarm), None when absent."""
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        return json.load(handle)


def median_of(figures):
    return sorted(figures)[len(figures) // 2]


def rounds_table(title, header, rows):
    """A paragraph, then a table of figures measured round after round: each row's median and every round."""
    print(title + "\n")
    print(f"| {header[0]} | {header[1]} | {header[2]} |")
    print("|---|---:|---|")
    for what, figures in rows:
        print(f"| {what} | {median_of(figures)} | {', '.join(map(str, figures))} |")
    print()


def targets(medians, rounds, cpu, sizes, init, window, failover=None, dns_start=None, watch=None, ui=None, demo_vs_floor=None, door_failed=None):
    """Checks the issues' targets against this run's medians."""
    rows = []

    def check(what, value, limit, unit="x", pair=None):
        if value is None:
            return
        if unit == "x":
            # Three decimals where two would round a ratio onto its limit and hide the verdict.
            places = 3 if f"{value:.2f}" == f"{limit:.2f}" else 2
            shown, wanted = f"{value:.{places}f}x", f"<= {limit:.2f}x"
        elif unit == "cpu":
            shown, wanted = f"{value:.3f} s", f"<= {limit:.2f} s"
        elif unit == "init":
            shown, wanted = f"{value:.1f} s", f"<= {limit:.0f} s"
        elif unit == "ms":
            shown, wanted = f"{value} ms", f"{limit} ms"
        elif unit == "count":
            shown, wanted = f"{value}", f"{limit}"
        elif unit == "seconds":
            shown, wanted = f"{value:.1f} s", f"<= {limit:.1f} s"
        elif unit == "MB":
            shown, wanted = f"{value / 1e6:.0f} MB", f"<= {limit / 1e6:.0f} MB"
        else:
            shown, wanted = f"{value * 1000:.1f} ms", f"< {limit * 1000:.0f} ms"
        per_round = spread(rounds, *pair) if pair else ""
        rows.append(f"| {what} | {shown} | {per_round} | {wanted} | {'met' if value <= limit else 'MISSED'} |")

    def compare(what, a, b, limit):
        if a in medians and b in medians:
            check(what, medians[a] / medians[b], limit, pair=(a, b))

    for n in (1, 10, 30):
        compare(f"run:all vs docker-compose up, N={n}", f"reyns run:all (N={n})", f"docker-compose up -d + ready (N={n})", 1.0)
        compare(f"run:all vs the parallel floor, N={n}", f"reyns run:all (N={n})", f"parallel docker run -d + ready (N={n})", 1.3)
        compare(f"clean:all vs docker-compose down, N={n}", f"reyns clean:all (N={n})", f"docker-compose down (N={n})", 1.0)
    # Issue 17's start-up targets.
    compare("issue 17: run:all vs docker-compose up, N=10", "reyns run:all (N=10)", "docker-compose up -d + ready (N=10)", 0.35)
    compare("issue 17: run:all vs the bare floor (entrypoint sleep, no readiness), N=10", "reyns run:all (N=10)", "parallel docker run -d, entrypoint sleep (N=10)", 1.5)
    compare("issue 17: clean:all vs docker-compose down, N=10", "reyns clean:all (N=10)", "docker-compose down (N=10)", 0.5)
    compare("issue 17: ps vs docker ps with reyns' filter and format", "reyns ps", "docker ps with reyns' filter and format (N=10)", 1.2)
    check("issue 17: CPU seconds per instance start", cpu, 0.15, unit="cpu")
    check("issue 17: reyns/reyns-base image size", sizes.get("reyns/reyns-base"), 250e6, unit="MB")
    check("issue 17: reyns init on an engine without its images (bench/run --init)", init, 90, unit="init")
    compare("ps vs bare docker ps -a", "reyns ps", "docker ps -a", 1.5)
    compare("no-op run:all vs its one docker ps (N=10)", "reyns run:all, nothing changed (N=10)", "docker ps with reyns' filter (N=10)", 1.5)
    compare("issue 44: a stock image's run (ready tcp) vs docker run -d + the same check", "reyns run (stock image, ready tcp 7000)", "docker run -d + ready (stock image, tcp 7000)", 1.3)
    compare("issue 44: a stock image's run (HEALTHCHECK) vs docker run -d + the same check", "reyns run (stock image, HEALTHCHECK)", "docker run -d + ready (stock image, HEALTHCHECK)", 1.3)
    compare("issue 49: run:all at N=100 vs the ready floor", "reyns run:all (N=100)", "parallel docker run -d + ready (N=100)", 1.15)
    compare("issue 49: run:all at N=100 vs docker-compose up", "reyns run:all (N=100)", "docker-compose up -d + ready (N=100)", 1.0)
    compare("issue 49: converging 1 of 100 vs 1 of 10", "reyns run:all, 1 of 100 changed", "reyns run:all, 1 of 10 changed (bench/load)", 1.5)
    compare("run:all recreating 1 of 10 vs one instance start", "reyns run:all, 1 of 10 changed", "docker run -d + ready (N=1)", 1.3)
    check("issue 34: the window of a start-first recreate, every round", window, 0, unit="ms")
    check("issue 38: the demo's DNS ready after its docker run (median)", dns_start, 0.8, unit="seconds")
    check("issue 45: failed requests, a published instance recreated start-first through its front door or the door upgraded, every round", door_failed, 0, unit="count")
    check("issue 48: the demo from nothing vs its floor (medians)", demo_vs_floor, 1.3, unit="x")
    check("issue 33: a node's loss to its unpinned instance answering again, every round", failover, 90, unit="init")
    if watch:
        check("issue 35: watch, a saved file synced into the instance (median)", median_of(watch["reyns watch: sync"]), 1.0, unit="seconds")
        by_hand = median_of(watch["docker build + docker run, one instance"])
        check(f"issue 35: watch, rebuild + recreate (median) vs docker build + one start ({by_hand:.2f} s) + 0.5 s", median_of(watch["reyns watch: rebuild + recreate"]), by_hand + 0.5, unit="seconds")
    if ui:
        check("issue 36: the dashboard renders 300 instances, every round", max(ui["render_300_ms"]) / 1000, 1.0, unit="s")
        check("issue 36: 10,000 log lines block the page (taken as responsive under 250 ms), every round", max(ui["longest_block_10000_lines_ms"]) / 1000, 0.25, unit="s")
    check("reyns' own time per invocation (reyns help)", medians.get("reyns help"), 0.020, unit="s")
    print("## Targets\n")
    print("| target | this run | each round | wanted | |")
    print("|---|---:|---:|---:|---|")
    for row in rows:
        print(row)
    print()
    floors(medians)


def floors(medians):
    """What the engine allows against compose, for the two compose targets of
    issue 17: the same ratio, for the floors instead of reyns."""
    shown = []
    for what, floor, compose in (
        ("up: N parallel `docker run -d` of `sleep infinity`, no readiness", "parallel docker run -d, entrypoint sleep (N=10)", "docker-compose up -d + ready (N=10)"),
        ("down: N parallel `docker rm -f` (no graceful stop)", "parallel docker rm -f (N=10)", "docker-compose down (N=10)"),
        ("down with the graceful stop that compose and reyns make: one `docker stop -t 10` of the N, then one `docker rm`", "docker stop + docker rm (N=10)", "docker-compose down (N=10)"),
    ):
        if floor in medians and compose in medians:
            shown.append(f"{what} {medians[floor] / medians[compose]:.2f}x")
    if shown:
        print("The floors against docker-compose in this run, N=10 (reyns cannot go below them): " + "; ".join(shown) + ".\n")


if __name__ == "__main__":
    main(sys.argv[1])
