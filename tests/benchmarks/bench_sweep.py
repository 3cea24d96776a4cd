"""Benchmark: `phonon-moment sweep` (numeric/apps/sweep.py) — what grouping damping sets into one task saves, the
scaling from 1 to 2 Dask workers, and the per-task overhead of Dask and the store.

Run: python tests/benchmarks/bench_sweep.py [--nk 24] [--sets 16]   (prints seconds; not collected by pytest)
On a shared machine the wall times carry the other jobs' load. Where Linux groups a terminal session's processes for the
scheduler (/proc/sys/kernel/sched_autogroup_enabled = 1), a busy machine gives the whole session one share of the CPU
however many workers it starts: then read the CPU-seconds each worker used, which tell how evenly the work splits.
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

import numeric


def spec(nk: int, sets: int, per_task: int, points=("K",)) -> dict:
    """``sets`` damping sets (η_c/η_p on a geometric grid) at ``points``, ``per_task`` of them per task."""
    return {"damping": {"eta_p": 0.02, "eta_c_ratio": {"geomspace": [0.1, 10.0, sets]}, "eta_v_ratio": 1.0},
            "q": {"points": list(points)}, "run": {"nk": nk},
            "tasks": {"damping_per_task": per_task, "q_per_task": 1}}


def timed(sweep_spec, scheduler=None) -> dict:
    """Wall time of one sweep into a fresh store, and the tasks' own seconds (from the store's run record)."""
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        ds = numeric.sweep(sweep_spec, Path(tmp) / "s.zarr", scheduler=scheduler, progress=False)
        wall = time.perf_counter() - t
    run = json.loads(ds.attrs["runs"])[-1]
    return {"wall": wall, "tasks": run["finished"], "task_seconds": run["task_seconds"], "ds": ds}


def _cpu_seconds() -> float:
    import psutil

    t = psutil.Process().cpu_times()
    return t.user + t.system


def cluster(n: int):
    from dask.distributed import Client, LocalCluster

    c = LocalCluster(host="127.0.0.1", n_workers=n, threads_per_worker=1, dashboard_address=None, processes=True)
    return c, Client(c)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nk", type=int, default=24)
    parser.add_argument("--sets", type=int, default=16)
    args = parser.parse_args()
    nk, sets = args.nk, args.sets
    timed(spec(8, 1, 1), "synchronous")      # warm-up: kernels loaded

    print(f"1. sharing band data: {sets} damping sets at K, nk = {nk}, in this process (no Dask)")
    grouped = timed(spec(nk, sets, sets), "synchronous")
    single = timed(spec(nk, sets, 1), "synchronous")
    same = np.allclose(grouped["ds"]["total"], single["ds"]["total"], rtol=1e-12, atol=0)
    print(f"   one task of {sets} sets: {grouped['wall']:7.1f} s;  {sets} tasks of one set: {single['wall']:7.1f} s;  "
          f"speed-up {single['wall'] / grouped['wall']:.2f}x (values equal to 1e-12: {same})")

    print(f"\n2. scaling: {sets} damping sets at K and M, nk = {nk}, 4 per task, LocalCluster (processes, 1 thread)")
    work = spec(nk, sets, 4, ("K", "M"))
    walls = {}
    for n in (1, 2):
        c, client = cluster(n)
        try:
            timed(spec(8, 1, 1), client)        # workers import the package and load the kernels
            before = client.run(_cpu_seconds)
            r = timed(work, client)
            cpu = {w: t - before[w] for w, t in client.run(_cpu_seconds).items()}
        finally:
            client.close()
            c.close()
        walls[n] = r["wall"]
        print(f"   {n} worker(s): {r['wall']:7.1f} s wall for {r['tasks']} tasks ({r['task_seconds']:.1f} s inside "
              f"the tasks); CPU seconds per worker: {', '.join(f'{t:.1f}' for t in sorted(cpu.values()))}")
    print(f"   speed-up 1 -> 2 workers: {walls[1] / walls[2]:.2f}x")

    print("\n3. per-task overhead: 24 tiny tasks (nk = 3, one set, one q) on one worker")
    c, client = cluster(1)
    try:
        timed(spec(3, 1, 1), client)
        r = timed(spec(3, 24, 1), client)
    finally:
        client.close()
        c.close()
    s = timed(spec(3, 24, 1), "synchronous")
    print(f"   Dask: {r['wall']:.2f} s wall, {r['task_seconds']:.2f} s inside the tasks -> "
          f"{(r['wall'] - r['task_seconds']) / r['tasks'] * 1e3:.0f} ms per task (scheduling, transfer, store write)")
    print(f"   synchronous: {s['wall']:.2f} s wall, {s['task_seconds']:.2f} s inside the tasks -> "
          f"{(s['wall'] - s['task_seconds']) / s['tasks'] * 1e3:.0f} ms per task (store write alone)")
    t = time.perf_counter()
    c, client = cluster(2)
    client.close()
    c.close()
    print(f"   starting and stopping a 2-worker LocalCluster: {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
