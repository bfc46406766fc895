"""The PyTorch peer of secora's encoder benchmark: the same RoBERTa encoder (Hugging Face's arithmetic), the
same SimCSE InfoNCE loss, AdamW (foreach) and bf16 autocast, at PyTorch's best eager settings. It serves
timed rounds on request so that a driver can alternate it with secora in one run:

    /usr/bin/python3 bench/peer/peer.py --threads 2 --precision bf16 < commands

Each stdin line is `train STEPS BATCH SEQ`, `embed ROUNDS BATCH SEQ` or `quit`; each answer is one JSON line
with the seconds the work took. Install: `apt-get install -y python3-torch` (Debian's, the same libtorch 1.13
that secora links)."""

import argparse
import json
import math
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn


class Layer(nn.Module):
    def __init__(self, h, heads, inner, dropout, attention_dropout, eps):
        super().__init__()
        self.heads, self.d = heads, h // heads
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.attention_dense, self.attention_norm = nn.Linear(h, h), nn.LayerNorm(h, eps=eps)
        self.intermediate, self.output = nn.Linear(h, inner), nn.Linear(inner, h)
        self.output_norm = nn.LayerNorm(h, eps=eps)
        self.dropout, self.attention_dropout = dropout, attention_dropout

    def forward(self, x, additive):
        b, s, h = x.shape

        def split(t):
            return t.view(b, s, self.heads, self.d).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.d) + additive
        probs = F.dropout(scores.softmax(-1), self.attention_dropout, self.training)
        context = torch.matmul(probs, v).transpose(1, 2).reshape(b, s, h)
        x = self.attention_norm(F.dropout(self.attention_dense(context), self.dropout, self.training) + x)
        inner = F.gelu(self.intermediate(x))
        return self.output_norm(F.dropout(self.output(inner), self.dropout, self.training) + x)


class Encoder(nn.Module):
    def __init__(self, vocab=16384, h=256, layers=4, heads=4, inner=1024, positions=514, pad=1, dropout=0.1):
        super().__init__()
        self.pad = pad
        self.words = nn.Embedding(vocab, h, padding_idx=pad)
        self.positions = nn.Embedding(positions, h, padding_idx=pad)
        self.types = nn.Embedding(1, h)
        self.norm = nn.LayerNorm(h, eps=1e-5)
        self.layers = nn.ModuleList(Layer(h, heads, inner, dropout, dropout, 1e-5) for _ in range(layers))
        self.dropout = dropout
        for name, p in self.named_parameters():
            if "norm" in name and name.endswith("weight"):
                nn.init.ones_(p)
            elif name.endswith("bias") or "norm" in name:
                nn.init.zeros_(p)
            else:
                nn.init.normal_(p, 0.0, 0.02)

    def forward(self, ids, mask):
        real = ids.ne(self.pad).long()
        position_ids = real.cumsum(1) * real + self.pad
        x = self.words(ids) + self.types(torch.zeros_like(ids)) + self.positions(position_ids)
        x = F.dropout(self.norm(x), self.dropout, self.training)
        lowest = torch.finfo(x.dtype).min
        additive = (1.0 - mask[:, None, None, :].to(x.dtype)) * lowest
        for layer in self.layers:
            x = layer(x, additive)
        return x[:, 0]  # cls pooling


def info_nce(a, b, temperature=0.05):
    qa, qb = F.normalize(a.float(), dim=1), F.normalize(b.float(), dim=1)
    logits = qa @ qb.t() / temperature
    return F.cross_entropy(logits, torch.arange(a.shape[0]))


def batch(seed, rows, seq, vocab=16384):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(3, vocab, (rows, seq), generator=g), torch.ones(rows, seq, dtype=torch.long)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="bf16")
    # How the peer embeds in bf16: autocast over fp32 weights, or a bf16 copy of the model (no autocast).
    ap.add_argument("--embed", choices=["autocast", "bf16-weights"], default="autocast")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(1)
    model = Encoder()
    decay = [p for n, p in model.named_parameters() if not n.endswith("bias") and "norm" not in n]
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias") or "norm" in n]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-4, foreach=True)
    bf16 = args.precision == "bf16"
    frozen = None
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd or cmd[0] == "quit":
            break
        count, rows, seq = int(cmd[1]), int(cmd[2]), int(cmd[3])
        if cmd[0] == "train":
            model.train()
            frozen = None
            t0 = time.perf_counter()
            for i in range(count):
                ids, mask = batch(1000 + i, rows, seq)
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                    loss = info_nce(model(ids, mask), model(ids, mask))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
            seconds = time.perf_counter() - t0
            print(json.dumps({"seconds": seconds, "loss": float(loss)}), flush=True)
        elif cmd[0] == "embed":
            model.eval()
            ids, mask = batch(7, rows, seq)
            if bf16 and args.embed == "bf16-weights" and frozen is None:
                frozen = Encoder().eval()
                frozen.load_state_dict(model.state_dict())
                frozen.to(torch.bfloat16)
            with torch.inference_mode():
                t0 = time.perf_counter()
                for _ in range(count):
                    if frozen is not None:
                        z = frozen(ids, mask)
                    else:
                        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                            z = model(ids, mask)
                    F.normalize(z.float(), dim=1)
                seconds = time.perf_counter() - t0
            print(json.dumps({"seconds": seconds}), flush=True)


if __name__ == "__main__":
    main()
