#!/usr/bin/env python3
"""A soak test of `nst serve` (not part of CI): N clients submit, watch and cancel jobs for M
minutes against one server, as strangers on the network would, and this reports:

  - jobs accepted (201), refused for a full queue (429), finished, failed, cancelled, and lost
    (accepted but never reaching an end state, gone from the store, or done without a result):
    lost must be 0, and so must answers that are neither expected nor 429;
  - p50 and p99 latency of each kind of API request, measured under that load;
  - the server's resident memory over time (and the workers' in Redis mode).

    bench/soak_serve.py [--clients 8] [--minutes 2] [--queue redis] [--workers 1]
                        [--size 32] [--iterations 30]

Untrained weights and the demo's small pictures (apps/demo_images), so that many jobs pass:
what is measured is the service, not the optimisation. Exits 1 if anything was lost.
"""
import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
END_STATES = {"done", "failed", "cancelled"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_text(path, text, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if os.path.exists(path) and text in open(path, errors="replace").read():
            return
        time.sleep(0.05)
    sys.exit(f"timed out waiting for '{text}' in {path}:\n" + open(path, errors="replace").read())


def rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class Stats:
    """Latencies by request kind, answers by status, and the jobs' fates, shared by clients."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latency = {}
        self.unexpected = []  # (request, status, body excerpt)
        self.accepted = []  # job ids
        self.refused = 0  # 429: the queue was full
        self.cancelled_by_us = set()
        self.deleted_by_us = set()  # finished before the client's DELETE came

    def timed(self, kind, seconds):
        with self.lock:
            self.latency.setdefault(kind, []).append(seconds)

    def odd(self, what, status, body):
        with self.lock:
            self.unexpected.append((what, status, body[:200]))


class Api:
    """One client's connection to the server (a new one after any error)."""

    def __init__(self, port, stats):
        self.port, self.stats = port, stats
        self.conn = None

    def request(self, kind, method, path, body=None, headers=None, expect=(200,)):
        start = time.perf_counter()
        for attempt in range(2):
            reused = self.conn is not None
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.conn.request(method, path, body=body, headers=headers or {})
                response = self.conn.getresponse()
                data = response.read()
                status = response.status
                break
            except (OSError, http.client.HTTPException) as e:
                self.conn = None
                # The server closes a connection idle past its keep-alive timeout (5 s); like
                # a browser, a client then asks again on a new one.
                if reused and isinstance(e, http.client.RemoteDisconnected) and attempt == 0:
                    start = time.perf_counter()
                    continue
                self.stats.odd(f"{method} {path}", "connection", str(e).encode())
                return None, b""
        self.stats.timed(kind, time.perf_counter() - start)
        if status not in expect:
            self.stats.odd(f"{method} {path}", status, data)
        return status, data


def multipart(files, options):
    boundary = "soak%016x" % random.getrandbits(64)
    parts = []
    for field, name, data in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
            f"Content-Type: image/png\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="options"\r\n\r\n'
                 f"{json.dumps(options)}\r\n".encode())
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def watch(port, job_id, stats):
    """Reads a job's event stream to its end; True if it ended with an end state."""
    start = time.perf_counter()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("GET", f"/api/jobs/{job_id}/events")
        response = conn.getresponse()
        if response.status == 503:  # too many streams open: allowed, with Retry-After
            response.read()
            return False
        if response.status != 200:
            stats.odd("GET events", response.status, response.read())
            return False
        stats.timed("events (first answer)", time.perf_counter() - start)
        last_state = None
        while True:
            line = response.fp.readline()
            if not line:
                break
            if line.startswith(b"data: ") and b'"state"' in line:
                try:
                    last_state = json.loads(line[6:]).get("state", last_state)
                except ValueError:
                    stats.odd("GET events", "bad event", line)
        conn.close()
        return last_state in END_STATES
    except (OSError, http.client.HTTPException) as e:
        stats.odd("GET events", "connection", str(e).encode())
        return False


def client(port, pictures, options, until, stats, seed):
    rng = random.Random(seed)
    api = Api(port, stats)
    while time.time() < until:
        body, headers = multipart(
            [("content", "content.png", pictures[0]), ("style", "style.png", pictures[1])],
            dict(options, iterations=rng.randint(options["iterations"] // 2,
                                                 options["iterations"])))
        status, data = api.request("POST /api/jobs", "POST", "/api/jobs", body, headers,
                                   expect=(201, 429))
        if status == 429:
            with stats.lock:
                stats.refused += 1
            time.sleep(rng.uniform(0.1, 0.5))
            continue
        if status != 201:
            time.sleep(0.2)
            continue
        job_id = json.loads(data)["id"]
        with stats.lock:
            stats.accepted.append(job_id)
        action = rng.random()
        if action < 0.5:
            watch(port, job_id, stats)
        elif action < 0.75:
            time.sleep(rng.uniform(0, 1.0))
            status, data = api.request("DELETE /api/jobs/ID", "DELETE", f"/api/jobs/{job_id}")
            if status == 200:
                # A job still queued or running is cancelled; one already finished is deleted.
                with stats.lock:
                    if "deleted" in json.loads(data):
                        stats.deleted_by_us.add(job_id)
                    else:
                        stats.cancelled_by_us.add(job_id)
        else:
            for _ in range(3):
                api.request("GET /api/jobs/ID", "GET", f"/api/jobs/{job_id}")
                time.sleep(rng.uniform(0.1, 0.4))
        api.request("GET /api/jobs", "GET", "/api/jobs")
        api.request("GET /healthz", "GET", "/healthz")


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--minutes", type=float, default=2)
    parser.add_argument("--queue", choices=["embedded", "redis"], default="embedded")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--build", default=os.environ.get("BUILD_DIR", os.path.join(ROOT, "build")))
    args = parser.parse_args()
    nst = os.path.join(args.build, "bin", "nst")
    if not os.access(nst, os.X_OK):
        sys.exit(f"build nst first: {nst} is missing")
    work = tempfile.mkdtemp(prefix="nst-soak-")
    processes = []  # (name, Popen)
    try:
        subprocess.run([os.path.join(args.build, "bin", "nst_demo_images"), work], check=True,
                       stdout=subprocess.DEVNULL)
        pictures = [open(os.path.join(work, n), "rb").read() for n in ("content.png", "style.png")]
        port = free_port()
        serve = [nst, "serve", "--port", str(port), "--max-queued", "30"]
        if args.queue == "redis":
            if shutil.which("redis-server") is None:
                sys.exit("--queue redis needs redis-server (scripts/install-deps)")
            redis_port = free_port()
            redis_log = os.path.join(work, "redis.log")
            processes.append(("redis", subprocess.Popen(
                ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--dir", work,
                 "--save", "", "--appendonly", "no"], stdout=open(redis_log, "w"),
                stderr=subprocess.STDOUT)))
            wait_for_text(redis_log, "Ready to accept connections")
            queue = f"redis://127.0.0.1:{redis_port}"
            serve += ["--queue", queue]
            for i in range(args.workers):
                threads = max(1, os.cpu_count() // args.workers)
                processes.append((f"worker {i + 1}", subprocess.Popen(
                    [nst, "worker", "--queue", queue, "--weights", "random:1", "--threads",
                     str(threads), "--checkpoint-every", "10"],
                    stderr=open(os.path.join(work, f"worker{i}.log"), "w"))))
        else:
            serve += ["--data", os.path.join(work, "data"), "--weights", "random:1",
                      "--checkpoint-every", "10", "--workers", str(args.workers)]
        server_log = os.path.join(work, "server.log")
        server = subprocess.Popen(serve, stderr=open(server_log, "w"))
        processes.append(("server", server))
        wait_for_text(server_log, "listening on")

        stats = Stats()
        started = time.time()
        until = started + args.minutes * 60
        memory = []  # (seconds, {name: MiB})
        stop_sampling = threading.Event()

        def sample():
            while not stop_sampling.is_set():
                memory.append((time.time() - started,
                               {name: rss_mib(p.pid) for name, p in processes if name != "redis"}))
                stop_sampling.wait(2)

        sampler = threading.Thread(target=sample)
        sampler.start()
        options = {"size": args.size, "iterations": args.iterations,
                   "content-layers": "relu2_1", "style-layers": "relu1_1,relu2_1"}
        clients = [threading.Thread(target=client,
                                    args=(port, pictures, options, until, stats, seed))
                   for seed in range(args.clients)]
        for c in clients:
            c.start()
        for c in clients:
            c.join()
        submitting = time.time() - started

        # Every accepted job must end: done (with its result), failed (with a reason) or
        # cancelled. Wait for the queue to drain.
        api = Api(port, stats)
        fates, lost = {}, []
        deadline = time.time() + 600
        pending = [job_id for job_id in stats.accepted if job_id not in stats.deleted_by_us]
        while pending and time.time() < deadline:
            still = []
            for job_id in pending:
                status, data = api.request("GET /api/jobs/ID", "GET", f"/api/jobs/{job_id}",
                                           expect=(200, 404))
                record = json.loads(data) if status == 200 else None
                if record is None:
                    lost.append((job_id, f"GET answered {status}"))
                elif record["state"] in END_STATES:
                    fates[job_id] = record
                else:
                    still.append(job_id)
            pending = still
            if pending:
                time.sleep(1)
        lost += [(job_id, "never ended") for job_id in pending]
        for job_id, record in fates.items():
            if record["state"] == "done":
                status, _ = api.request("GET /api/jobs/ID/result", "GET",
                                        f"/api/jobs/{job_id}/result")
                if status != 200:
                    lost.append((job_id, f"done, but its result answered {status}"))
            elif record["state"] == "failed":
                if not record.get("error"):
                    lost.append((job_id, "failed without a reason"))
            elif job_id not in stats.cancelled_by_us:
                lost.append((job_id, "cancelled, but not by a client"))
        drained = time.time() - started
        stop_sampling.set()
        sampler.join()
        server.send_signal(signal.SIGTERM)
        server_exit = server.wait(timeout=60)

        counts = {s: sum(1 for r in fates.values() if r["state"] == s) for s in END_STATES}
        print(f"nst serve soak: {args.clients} clients for {args.minutes:g} min, "
              f"{args.queue} mode, {args.workers} worker(s), {args.size} px, "
              f"up to {args.iterations} iterations; {os.cpu_count()} cores "
              f"({open('/proc/cpuinfo').read().split('model name')[1].split(':')[1].split(chr(10))[0].strip()})")
        print(f"  submitting: {submitting:.0f} s; all accepted jobs ended after {drained:.0f} s")
        print(f"  accepted {len(stats.accepted)}, refused (429, queue full) {stats.refused}; "
              f"finished {counts['done']}, cancelled {counts['cancelled']}, "
              f"failed {counts['failed']}, deleted after finishing {len(stats.deleted_by_us)}, "
              f"lost {len(lost)}")
        print(f"  unexpected answers: {len(stats.unexpected)}; server exit on SIGTERM: "
              f"{server_exit}")
        for what, status, body in stats.unexpected[:10]:
            print(f"    {what}: {status} {body!r}")
        for job_id, why in lost[:10]:
            print(f"    lost {job_id}: {why}")
        print("  latency under load (ms):      count     p50     p99     max")
        for kind, values in sorted(stats.latency.items()):
            print(f"    {kind:26s} {len(values):7d} {1000 * percentile(values, 50):7.1f} "
                  f"{1000 * percentile(values, 99):7.1f} {1000 * max(values):7.1f}")
        names = [name for name, _ in processes if name != "redis"]
        print("  resident memory (MiB) at:    " + "  ".join(f"{n:>9s}" for n in names))
        step = max(1, len(memory) // 12)
        for seconds, rss in memory[::step] + memory[-1:]:
            print(f"    {seconds:6.0f} s" + " " * 18 + "  ".join(f"{rss[n]:9.1f}" for n in names))
        print("    max" + " " * 24 + "  ".join(
            f"{max(r[n] for _, r in memory):9.1f}" for n in names))
        return 1 if lost or stats.unexpected or server_exit != 0 else 0
    finally:
        for _, p in processes:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
