#!/usr/bin/env python3
"""PyTorch peer of KernelSinkhorn on CUDA: log-domain symmetric Sinkhorn, same problem, same sizes, same stop rule.

Problem (as kernels/HardNegOT.Kernels.Runner builds it): N = 2B rows, two views (row i's positive is i +- B), the
second view a noisy copy of the first (noise 0.3), d = 128, rows L2-normalised, cost 2 - 2s, masked pairs (self and
positive) excluded, uniform marginals, eps = 0.1. Symmetric update f <- f + w (T(f) - f) with w = 2/3 and the L1
row-marginal error sum_i a_i |exp((f_i - T(f)_i)/eps) - 1| checked every 10 iterations, as KernelSinkhorn does.

T(f) is computed in row blocks (the N x N logits are never all materialised), in float32 on the GPU.
The random data differs from the .NET runner's (different generators); only sizes and the problem family match.

Usage: python3 bench/peers/torch_gpu_sinkhorn.py [--out FILE] [--sizes 4096,16384,65536] [--dim 128]
"""
import argparse
import json
import math
import time

import torch

EPS = 0.1
OMEGA = 2.0 / 3.0
CHECK_EVERY = 10
BLOCK = 4096


def make_points(n, d, seed, device):
    g = torch.Generator(device="cpu").manual_seed(seed)
    half = n // 2
    base = torch.randn(half, d, generator=g)
    second = base + 0.3 * torch.randn(half, d, generator=g)
    x = torch.cat([base, second]).to(device)
    return torch.nn.functional.normalize(x, dim=1)


def half_step(x, f, log_a, eps):
    """T(f)_r = -eps * LSE_k[(f_k - C_rk)/eps + log a_k] over unmasked k, blocked over rows."""
    n = x.shape[0]
    half = n // 2
    out = torch.empty_like(f)
    col = (f / eps + log_a)[None, :]
    for start in range(0, n, BLOCK):
        stop = min(n, start + BLOCK)
        s = (x[start:stop] @ x.T).clamp_(-1.0, 1.0)
        logits = col - (2.0 - 2.0 * s) / eps
        rows = torch.arange(start, stop, device=x.device)
        logits[rows - start, rows] = -math.inf
        logits[rows - start, (rows + half) % n] = -math.inf
        out[start:stop] = -eps * torch.logsumexp(logits, dim=1)
    return out


def solve(x, tol, max_iter):
    n = x.shape[0]
    a = torch.full((n,), 1.0 / n, device=x.device)
    log_a = a.log()
    f = torch.zeros(n, device=x.device)
    for it in range(1, max_iter + 1):
        nxt = half_step(x, f, log_a, EPS)
        if it % CHECK_EVERY == 0 or it == max_iter:
            err = (a * ((f - nxt) / EPS).exp().sub(1).abs()).sum().item()
            if err <= tol or it == max_iter:
                return it, err, err <= tol
        f = f + OMEGA * (nxt - f)
    raise AssertionError("unreachable")


def timed(fn):
    torch.cuda.synchronize()
    t = time.perf_counter()
    result = fn()
    torch.cuda.synchronize()
    return time.perf_counter() - t, result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="torch-gpu-sinkhorn.json")
    parser.add_argument("--sizes", default="4096,16384,65536")
    parser.add_argument("--dim", type=int, default=128)
    args = parser.parse_args()
    report = {"eps": EPS, "d": args.dim, "cost": "sqeuclid (2-2s), two-view mask", "block": BLOCK, "timings": []}
    if not torch.cuda.is_available():
        report["error"] = "torch.cuda.is_available() is False"
        json.dump(report, open(args.out, "w"), indent=2)
        raise SystemExit(report["error"])
    device = torch.device("cuda")
    report["device"] = torch.cuda.get_device_name(0)
    report["torch"] = torch.__version__
    for n in (int(s) for s in args.sizes.split(",")):
        x = make_points(n, args.dim, 42, device)
        f = torch.zeros(n, device=device)
        log_a = torch.full((n,), -math.log(n), device=device)
        half_step(x, f, log_a, EPS)  # warm-up (cuBLAS handles, allocator)
        passes = 5 if n >= 65536 else 20
        seconds, _ = timed(lambda: [half_step(x, f, log_a, EPS) for _ in range(passes)])
        to_tol, (iterations, err, converged) = timed(lambda: solve(x, 1e-4, 2000))
        row = {"n": n, "secondsPerLsePass": seconds / passes, "pairsPerSecond": n * n * passes / seconds,
               "secondsToTolerance": to_tol, "tolerance": 1e-4, "iterations": iterations,
               "marginalError": err, "converged": converged}
        report["timings"].append(row)
        print(json.dumps(row), flush=True)
        with open(args.out, "w") as fh:
            json.dump(report, fh, indent=2)
    with open(args.out, "w") as fh:
        json.dump(report, fh, indent=2)


if __name__ == "__main__":
    main()
