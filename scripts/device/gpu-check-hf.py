"""The Python half of the GPU check: transformers loads what secora saved (model folder and tokenizer) and gets
the same numbers; and the same model size trained in PyTorch itself, timed beside secora's step."""
import json
import os
import sys
import time

import torch
import transformers
from transformers import AutoModel, AutoTokenizer

work, out = sys.argv[1], sys.argv[2]
res = {"torch": torch.__version__, "transformers": transformers.__version__}

# 1. The model folder secora wrote loads in transformers and gives the same hidden states.
try:
    io = json.load(open(os.path.join(work, "saved-model-io.json")))
    model = AutoModel.from_pretrained(os.path.join(work, "saved-model"), attn_implementation="eager").eval()
    ids = torch.tensor(io["input_ids"]).view(io["B"], io["L"])
    mask = torch.tensor(io["attention_mask"]).view(io["B"], io["L"])
    with torch.no_grad():
        h = model(input_ids=ids, attention_mask=mask).last_hidden_state
    ours = torch.tensor(io["hidden"], dtype=torch.float64).view(io["B"], io["L"], io["H"])
    diff = (h.double() - ours).abs()[mask.bool()].max().item()
    res["hf_loads_saved_model"] = {"ok": diff < 1e-4, "class": type(model).__name__, "max_hidden_diff": diff}
except Exception as e:  # noqa: BLE001
    res["hf_loads_saved_model"] = {"ok": False, "error": repr(e)}

# 2. The tokenizer folder secora wrote loads with AutoTokenizer and encodes the same ids.
try:
    tio = json.load(open(os.path.join(work, "saved-tokenizer-ids.json")))
    tok = AutoTokenizer.from_pretrained(os.path.join(work, "saved-tokenizer"))
    got = [tok(s, add_special_tokens=False)["input_ids"] for s in tio["samples"]]
    with_specials = tok(tio["samples"][0])["input_ids"]
    res["hf_loads_saved_tokenizer"] = {
        "ok": got == tio["ids"] and with_specials[0] == tio["cls"] and with_specials[-1] == tio["sep"],
        "class": type(tok).__name__, "ids_equal": got == tio["ids"],
    }
except Exception as e:  # noqa: BLE001
    res["hf_loads_saved_tokenizer"] = {"ok": False, "error": repr(e)}

# 3. PyTorch itself: the same model size and step (pairs InfoNCE, mean pooling, AdamW), timed.
try:
    cfg = transformers.RobertaConfig(vocab_size=8192, hidden_size=256, num_hidden_layers=4, num_attention_heads=4,
                                     intermediate_size=1024, max_position_embeddings=514, type_vocab_size=1,
                                     pad_token_id=1, attn_implementation="sdpa")
    torch.manual_seed(0)
    m = transformers.RobertaModel(cfg, add_pooling_layer=False).cuda().train()
    opt = torch.optim.AdamW(m.parameters(), lr=1e-5, weight_decay=0.01)
    a = torch.randint(5, 8192, (32, 64), device="cuda")
    b = torch.randint(5, 8192, (32, 192), device="cuda")

    def emb(x):
        h = m(input_ids=x, attention_mask=torch.ones_like(x)).last_hidden_state
        return torch.nn.functional.normalize(h.mean(1), dim=-1)

    def step(dtype):
        with torch.autocast("cuda", dtype=dtype, enabled=dtype is not None):
            s = emb(a) @ emb(b).T / 0.05
            labels = torch.arange(32, device="cuda")
            loss = (torch.nn.functional.cross_entropy(s, labels) + torch.nn.functional.cross_entropy(s.T, labels)) / 2
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
        return loss

    for name, dtype in (("fp32", None), ("bf16", torch.bfloat16)):
        for _ in range(10):
            step(dtype)
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(20):
            step(dtype)
        torch.cuda.synchronize()
        sec = (time.perf_counter() - t0) / 20
        res[f"pytorch_train_step_{name}"] = {"seconds_per_step": sec, "tokens_per_second": 32 * 256 / sec}
except Exception as e:  # noqa: BLE001
    res["pytorch_train_step"] = {"error": repr(e)}

json.dump(res, open(os.path.join(out, "hf-results.json"), "w"), indent=2)
print(json.dumps(res, indent=2))
