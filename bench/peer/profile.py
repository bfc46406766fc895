"""Where the peer's time goes: torch.profiler over two SimCSE training steps (32 x 128) and one embedding
(64 x 128) of bench/peer/peer.py's encoder, bf16 autocast, one thread; prints the ops by self CPU time.
It is the same libtorch as secora's, so it shows which kernels dominate either side.

    /usr/bin/python3 bench/peer/profile.py [--threads 1] [--rows 28]
"""

import argparse
import os
import sys

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer import Encoder, batch, info_nce  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rows", type=int, default=28)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = Encoder()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, foreach=True)
    ids, mask = batch(1, 32, 128)

    def step():
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = info_nce(model(ids, mask), model(ids, mask))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    step()
    with profile(activities=[ProfilerActivity.CPU]) as p:
        for _ in range(2):
            step()
    print("training, 2 SimCSE steps of 32 x 128:")
    print(p.key_averages().table(sort_by="self_cpu_time_total", row_limit=args.rows))

    model.eval()
    ids, mask = batch(7, 64, 128)
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        model(ids, mask)
        with profile(activities=[ProfilerActivity.CPU]) as p:
            model(ids, mask)
    print("embedding, 64 x 128:")
    print(p.key_averages().table(sort_by="self_cpu_time_total", row_limit=args.rows))


if __name__ == "__main__":
    main()
