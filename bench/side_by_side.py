"""Runs nabla and its peers on the book's workload, interleaved, and prints a table.

Workload: 784 -> Dense(512, relu) -> Dense(10, softmax), RMSprop (Keras
defaults), batch 128, full Fashion-MNIST (60,000 images; MNIST's shapes).
Every run is a fresh process; rounds interleave the contestants so that
machine noise hits all of them alike. Reported: median seconds per epoch over
epochs 2..N of every round, the ratio to nabla at the same thread count,
achieved GFLOP/s (98.2 GFLOP per epoch, of which 97.9 are matrix products),
peak resident memory, test accuracy and evaluation throughput.

Two further tables (--tables): "digits", the book's model trained by a plain
program that links nabla (bench/plain/plain_fit.cpp) on the 10,000 MNIST test
digits (~81% zeros), first-layer products dense (NABLA_SPARSE_INPUT=dense)
and zero-skipping (the automatic choice), as effective GFLOP/s (the dense
epoch's 16.4 GFLOP over the time) against the FMA peak; and "load", the same
plain program on 15,000 Fashion-MNIST images with no environment variables,
idle and then with one busy loop per core (started and stopped here), and
libtorch the same way (PyTorch if the libtorch peer is not built).

Opt-in table "convnet" (--tables convnet, or main,convnet): the book's
convnet (listing 8.1) on the 8,000/2,000 MNIST split of its acceptance test,
batch 64, nabla (bench/plain/convnet_fit.cpp) against PyTorch
(bench/peers/torch_convnet.py), 1 and 2 threads, --convnet-epochs epochs per
run (median of epochs 2..N), rounds interleaved: training and inference
images/s and the ratio to PyTorch's best thread count.

Peers, each at its best settings, measured at the start of every run
(--peer-settings calibrate: a short trial of each thread layout and OpenBLAS
core type, printed to stderr; the chosen one is printed under the table):
libtorch C++ (Debian libtorch-dev, built from bench/peers/torch_mlp.cpp), PyTorch
(Debian python3-torch) and, when a Python that imports tensorflow and keras
is found ($NABLA_KERAS_PYTHON, this Python or python3 on PATH; Debian has no
TensorFlow package: `pip install tensorflow-cpu`), Keras on TensorFlow.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = "/usr/share/datasets/fashion-mnist"
GFLOP_PER_EPOCH = 98.2
MNIST = os.environ.get("NABLA_MNIST_DIR", os.path.join(ROOT, "..", "shared", "data", "mnist"))
PLAIN = os.path.join(ROOT, "build/release/bench/nabla_plain_fit")
CONVNET = os.path.join(ROOT, "build/release/bench/nabla_convnet_fit")


def has_avx512():
    with open("/proc/cpuinfo") as f:
        return "avx512f" in f.read()


def peer_candidates(threads):
    """Settings a torch peer may use on `threads` cores: (intra-op threads
    (torch.set_num_threads), OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, OpenBLAS
    core type). With more than one core: the cores to OpenBLAS alone (torch
    single-threaded), to torch's OpenMP team alone, or to both."""
    cores = ["SkylakeX", "Cooperlake", "SapphireRapids"] if has_avx512() else ["Haswell", "Zen"]
    layouts = [(1, 1, 1)] if threads == 1 else [(1, 1, threads), (threads, threads, 1), (threads, threads, threads)]
    return [(intra, omp, blas, core) for intra, omp, blas in layouts for core in cores]


def peer_env(omp, blas, core):
    return dict(os.environ, OMP_NUM_THREADS=str(omp), OPENBLAS_NUM_THREADS=str(blas), OPENBLAS_CORETYPE=core)


PEER_SETTINGS = {}  # (peer, threads) -> the fastest candidate, measured once per run


def best_peer_setting(peer, cmd, threads, calibrate):
    """The fastest of peer_candidates(threads) for this peer, from a short
    trial of each (6,000 images, 3 epochs); `cmd(intra, samples, epochs)`
    builds the command line. Without calibration: the settings of earlier
    runs (1 OpenMP thread, OpenBLAS on every core, SkylakeX kernels)."""
    key = (peer, threads)
    if key in PEER_SETTINGS:
        return PEER_SETTINGS[key]
    if not calibrate:
        PEER_SETTINGS[key] = (1, 1, threads, "SkylakeX" if has_avx512() else os.environ.get("OPENBLAS_CORETYPE", ""))
        return PEER_SETTINGS[key]
    trials = []
    for intra, omp, blas, core in peer_candidates(threads):
        res = run_once(lambda hist: (cmd(intra, 6000, 3), peer_env(omp, blas, core)))
        trials.append((median_epoch(res), (intra, omp, blas, core)))
        print(f"calibrating {peer} ({threads} thr): torch threads {intra}, OMP_NUM_THREADS={omp}, "
              f"OPENBLAS_NUM_THREADS={blas}, OPENBLAS_CORETYPE={core}: {trials[-1][0]:.3f} s/epoch (6,000 images)",
              file=sys.stderr)
    PEER_SETTINGS[key] = min(trials)[1]
    return PEER_SETTINGS[key]


def describe_setting(setting):
    intra, omp, blas, core = setting
    return f"torch threads {intra}, OMP_NUM_THREADS={omp}, OPENBLAS_NUM_THREADS={blas}, OPENBLAS_CORETYPE={core}"


def torch_peers(calibrate):
    """(name, command builder) of the torch peers that are available."""
    peers = []
    torch_bin = os.path.join(ROOT, "build/peers/torch_mlp")
    if os.path.exists(torch_bin):
        peers.append(("libtorch C++", lambda intra, samples, epochs: (
            [torch_bin, DATA, str(epochs), str(intra)] + ([str(samples)] if samples else []))))
    if subprocess.run([sys.executable, "-c", "import torch"], capture_output=True).returncode == 0:
        peers.append(("PyTorch", lambda intra, samples, epochs: (
            [sys.executable, os.path.join(ROOT, "bench/peers/torch_mlp.py"), DATA, str(epochs), str(intra)] +
            ([str(samples)] if samples else []))))
    return peers


def contestants(threads, epochs, calibrate):
    out = []
    nabla = os.path.join(ROOT, "build/release/apps/nabla")
    for t in threads:
        out.append((f"nabla ({t} thr)", t, lambda hist, t=t: (
            [nabla, "train", "--dataset", "fashion_mnist", "--epochs", str(epochs), "--threads", str(t),
             "--verbose", "1", "--history", hist], dict(os.environ))))
    for peer, cmd in torch_peers(calibrate):
        for t in threads:
            intra, omp, blas, core = best_peer_setting(peer, cmd, t, calibrate)
            out.append((f"{peer} ({t} thr)", t, lambda hist, cmd=cmd, intra=intra, omp=omp, blas=blas, core=core: (
                cmd(intra, None, epochs), peer_env(omp, blas, core))))
    keras_python = python_with("tensorflow", "keras")
    if keras_python:
        for t in threads:
            out.append((f"Keras/TF ({t} thr)", t, lambda hist, t=t: (
                [keras_python, os.path.join(ROOT, "bench/peers/keras_mlp.py"), DATA, str(epochs), str(t)],
                dict(os.environ, OMP_NUM_THREADS=str(t)))))
    return out


def python_with(*modules):
    """A Python that imports `modules`: $NABLA_KERAS_PYTHON, this one, or python3 on PATH."""
    for py in (os.environ.get("NABLA_KERAS_PYTHON"), sys.executable, shutil.which("python3")):
        if py and subprocess.run([py, "-c", "import " + ", ".join(modules)], capture_output=True,
                                 env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")).returncode == 0:
            return py
    return None


def run_once(make_cmd):
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        hist = f.name
    cmd, env = make_cmd(hist)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak RSS
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{stdout}\n{stderr}")
    if os.path.getsize(hist) > 0:
        with open(hist) as f:
            result = json.load(f)
    else:
        result = json.loads(stdout.strip().splitlines()[-1])
    os.unlink(hist)
    result["rss_mb"] = usage.ru_maxrss / 1024
    return result


def ceilings(threads):
    """GFLOP/s per thread count, measured now: the machine's FMA peak
    (BM_PeakFma) and oneDNN's sgemm at the book's forward shape."""
    bench = os.path.join(ROOT, "build/release/bench/nabla_bench")
    if not os.path.exists(bench):
        return {}, {}
    out = subprocess.run([bench, "--benchmark_filter=BM_Sgemm_128x784x512/|BM_PeakFma", "--benchmark_format=json",
                          "--benchmark_repetitions=5", "--benchmark_report_aggregates_only=true"],
                         capture_output=True, text=True, check=True).stdout
    peak, sgemm = {}, {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") == "median":
            name, t = b["run_name"].split("/")[:2]
            if name == "BM_PeakFma":  # wall-time and own-CPU-time readings: the higher is the ceiling
                peak[int(t)] = max(b["GFLOP/s"], b.get("GFLOP/s(cpu)", 0))
            else:
                sgemm[int(t)] = b["GFLOP/s"]
    return ({t: peak[t] for t in threads if t in peak}, {t: sgemm[t] for t in threads if t in sgemm})


def median_epoch(res):
    return statistics.median(res["epoch_seconds"][1:] or res["epoch_seconds"])


def digits_table(rounds, ceiling):
    """The sparse first layer on MNIST digits: dense vs zero-skipping."""
    if not os.path.exists(PLAIN) or not os.path.exists(os.path.join(MNIST, "t10k-images-idx3-ubyte.gz")):
        print(f"(digits table skipped: needs {PLAIN} and the MNIST test set in {MNIST})")
        return
    gflop = GFLOP_PER_EPOCH * 10000 / 60000
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NABLA_", "OMP_", "GOMP_"))}
    paths = {"dense": dict(env, NABLA_SPARSE_INPUT="dense"), "sparse (auto)": env}
    times = {p: [] for p in paths}
    for _ in range(rounds):
        for p, e in paths.items():
            times[p].append(median_epoch(run_once(lambda hist, e=e: ([PLAIN, MNIST, "test", "10000", "4"], e))))
    threads = os.cpu_count()
    peak = ceiling.get(threads) or (max(ceiling.values()) if ceiling else None)
    print(f"\nMNIST digits (10,000 test images as training data, {threads} thr, plain program): "
          f"dense FMA floor {gflop / peak:.3f} s/epoch" if peak else "")
    print("| first-layer path | median s/epoch | effective GFLOP/s | % of FMA peak | dense / this |")
    print("|---|---|---|---|---|")
    dense = statistics.median(times["dense"])
    for p, ts in times.items():
        med = statistics.median(ts)
        pct = f"{100 * gflop / med / peak:.0f}%" if peak else "-"
        print(f"| {p} | {med:.3f} | {gflop / med:.0f} | {pct} | {dense / med:.2f}x |")



def convnet_table(rounds, epochs, threads):
    """The book's convnet: training and inference images/s, nabla vs PyTorch."""
    if not os.path.exists(CONVNET) or not os.path.exists(os.path.join(MNIST, "t10k-images-idx3-ubyte.gz")):
        print(f"(convnet table skipped: needs {CONVNET} and the MNIST test set in {MNIST})")
        return
    runs = [(f"nabla ({t} thr)", lambda hist, t=t: ([CONVNET, MNIST, str(epochs), str(t)], dict(os.environ)))
            for t in threads]
    if subprocess.run([sys.executable, "-c", "import torch"], capture_output=True).returncode == 0:
        # torch.set_num_threads(t) in the peer; OpenMP's team the same size.
        runs += [(f"PyTorch ({t} thr)", lambda hist, t=t: (
            [sys.executable, os.path.join(ROOT, "bench/peers/torch_convnet.py"), MNIST, str(epochs), str(t),
             "mnist8000"], dict(os.environ, OMP_NUM_THREADS=str(t)))) for t in threads]
    train = {name: [] for name, _ in runs}
    infer = {name: [] for name, _ in runs}
    acc = {name: [] for name, _ in runs}
    for r in range(rounds):
        for name, make in runs:
            res = run_once(make)
            train[name].append(8000 / median_epoch(res))
            infer[name].append(res["inference_images_per_s"])
            acc[name].append(res["test_accuracy"])
            print(f"convnet round {r + 1}: {name}: {train[name][-1]:.0f} train img/s", file=sys.stderr)
    best_torch = max((statistics.median(v) for n, v in train.items() if n.startswith("PyTorch")), default=None)
    print(f"\nThe book's convnet (MNIST 8,000 train / 2,000 test, batch 64, {epochs} epochs, {rounds} rounds; "
          f"median of epochs 2..N)")
    print("| contestant | train img/s | x best PyTorch | x PyTorch, same threads | inference img/s | test acc |")
    print("|---|---|---|---|---|---|")
    for name, _ in runs:
        med = statistics.median(train[name])
        ratio = f"{med / best_torch:.2f}x" if best_torch else "-"
        peer = train.get("PyTorch (" + name.split("(")[1]) if name.startswith("nabla") else None
        same = f"{med / statistics.median(peer):.2f}x" if peer else "-"
        print(f"| {name} | {med:.0f} | {ratio} | {same} | {statistics.median(infer[name]):.0f} | "
              f"{statistics.median(acc[name]):.4f} |")


def busy_loops(n):
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def load_table(epochs, calibrate):
    """Idle vs loaded epoch time with one busy loop per core."""
    cores = os.cpu_count()
    fashion = os.path.join(DATA, "train-images-idx3-ubyte.gz")
    if not os.path.exists(PLAIN) or not os.path.exists(fashion):
        print(f"(load table skipped: needs {PLAIN} and {DATA})")
        return
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NABLA_", "OMP_", "GOMP_"))}
    runs = [("nabla, a plain program", lambda hist: ([PLAIN, DATA, "train", "15000", str(epochs)], env))]
    peers = torch_peers(calibrate)
    if peers:  # libtorch when it is built, else PyTorch
        peer, cmd = peers[0]
        intra, omp, blas, core = best_peer_setting(peer, cmd, cores, calibrate)
        runs.append((f"{peer} ({cores} thr)", lambda hist: (cmd(intra, 15000, epochs), peer_env(omp, blas, core))))
    print(f"\nUnder load (15,000 Fashion-MNIST images, {epochs} epochs; loaded: {cores} busy loops, one per core)")
    print("| program | idle s/epoch | loaded s/epoch | loaded / idle | target <= 2.5x |")
    print("|---|---|---|---|---|")
    for name, make in runs:
        idle = median_epoch(run_once(make))
        loops = busy_loops(cores)
        try:
            time.sleep(0.5)
            loaded = median_epoch(run_once(make))
        finally:
            for p in loops:
                p.kill()
                p.wait()
        print(f"| {name} | {idle:.3f} | {loaded:.3f} | {loaded / idle:.2f}x | "
              f"{'yes' if loaded / idle <= 2.5 else 'no'} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--tables", default="main,digits,load",
                    help="comma-separated: main (the contestants), digits (sparse inputs), load (under load), "
                         "convnet (the book's convnet; opt-in)")
    ap.add_argument("--load-epochs", type=int, default=3)
    ap.add_argument("--convnet-epochs", type=int, default=3,
                    help="epochs per run of the opt-in convnet table (8,000 images each)")
    ap.add_argument("--peer-settings", choices=["calibrate", "fixed"], default="calibrate",
                    help="calibrate: time every thread layout and OpenBLAS core type of the torch peers first "
                         "(about a minute) and use the fastest; fixed: 1 OpenMP thread, OpenBLAS on every core")
    args = ap.parse_args()
    tables = set(args.tables.split(","))
    if "main" not in tables:
        ceiling, _ = ceilings([os.cpu_count()]) if "digits" in tables else ({}, {})
        if "digits" in tables:
            digits_table(args.rounds, ceiling)
        if "load" in tables:
            load_table(args.load_epochs, args.peer_settings == "calibrate")
        if "convnet" in tables:
            convnet_table(args.rounds, args.convnet_epochs, [int(t) for t in args.threads.split(",")])
        return
    threads = [int(t) for t in args.threads.split(",")]
    runners = contestants(threads, args.epochs, args.peer_settings == "calibrate")
    times = {name: [] for name, _, _ in runners}
    extra = {name: {} for name, _, _ in runners}
    for r in range(args.rounds):
        for name, _, make in runners:
            res = run_once(make)
            times[name] += res["epoch_seconds"][1:]  # epoch 1 includes warm-up
            extra[name].setdefault("acc", []).append(res.get("test_accuracy"))
            extra[name].setdefault("rss", []).append(res.get("rss_mb"))
            if "eval_images_per_s" in res:
                extra[name].setdefault("eval", []).append(res["eval_images_per_s"])
            print(f"round {r + 1}: {name}: {statistics.median(res['epoch_seconds'][1:]):.3f} s/epoch", file=sys.stderr)
    print(f"\n{time.strftime('%Y-%m-%d')}  {os.uname().nodename}  {os.cpu_count()} cores  "
          f"avx512={'yes' if has_avx512() else 'no'}  epochs={args.epochs} rounds={args.rounds}\n")
    ceiling, sgemm = ceilings(threads)
    for t, rate in ceiling.items():
        print(f"FMA peak, {t} thr: {rate:.0f} GFLOP/s (BM_PeakFma) -> floor {GFLOP_PER_EPOCH / rate:.3f} s/epoch; "
              f"oneDNN sgemm 128x784x512: {sgemm.get(t, float('nan')):.0f} GFLOP/s")
    print()
    print(f"| contestant | median s/epoch | nabla is faster by | GFLOP/s | % of FMA peak | peak RSS MB | test acc | eval img/s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, t, _ in runners:
        med = statistics.median(times[name])
        ref = statistics.median(times[f"nabla ({t} thr)"])
        rss = [v for v in extra[name]["rss"] if v]
        acc = [v for v in extra[name]["acc"] if v is not None]
        ev = extra[name].get("eval")
        pct = f"{100 * GFLOP_PER_EPOCH / med / ceiling[t]:.0f}%" if t in ceiling else "-"
        print(f"| {name} | {med:.3f} | {med / ref:.2f}x | {GFLOP_PER_EPOCH / med:.0f} | {pct} | "
              f"{max(rss) if rss else float('nan'):.0f} | {statistics.median(acc) if acc else float('nan'):.4f} | "
              f"{statistics.median(ev) if ev else float('nan'):.0f} |")
    # Each contestant at its best thread count (the peers often lose from a
    # second thread), as the performance issue asks.
    best = {}
    for name, _, _ in runners:
        family = name.split(" (")[0]
        med = statistics.median(times[name])
        if family not in best or med < best[family][1]:
            best[family] = (name, med)
    ours = best["nabla"][1]
    print()
    for family, (name, med) in best.items():
        if family != "nabla":
            print(f"best nabla ({best['nabla'][0]}, {ours:.3f} s) vs best {family} ({name}, {med:.3f} s): "
                  f"nabla is {med / ours:.2f}x faster")
    for (peer, t), setting in sorted(PEER_SETTINGS.items()):
        how = "the fastest in this run's calibration" if args.peer_settings == "calibrate" else "fixed"
        print(f"{peer} ({t} thr) ran with {describe_setting(setting)} ({how})")
    if "digits" in tables:
        digits_table(args.rounds, ceiling)
    if "load" in tables:
        load_table(args.load_epochs, args.peer_settings == "calibrate")
    if "convnet" in tables:
        convnet_table(args.rounds, args.convnet_epochs, threads)


if __name__ == "__main__":
    main()
