"""Loads the model folders that bench/encoder-hf-export.ts wrote (Encoder.save) with Hugging Face transformers,
and compares transformers' float64 last_hidden_state with ours at the real tokens.

    python3 bench/encoder-hf-load.py OUT_DIR
"""
import os
import sys

import torch
import transformers
from safetensors.torch import load_file
from transformers import AutoConfig, AutoModel


def main(root):
    print("transformers", transformers.__version__, "torch", torch.__version__)
    for name in sorted(os.listdir(root)):
        d = os.path.join(root, name)
        config = AutoConfig.from_pretrained(d)
        model, info = AutoModel.from_pretrained(d, output_loading_info=True, attn_implementation="eager")
        print(f"{name}: {type(model).__name__} model_type={config.model_type} "
              f"missing={sorted(info['missing_keys'])} unexpected={sorted(info['unexpected_keys'])}")
        io = load_file(os.path.join(d, "io.safetensors"))
        model = model.double().eval()
        with torch.no_grad():
            out = model(input_ids=io["input_ids"], attention_mask=io["attention_mask"],
                        token_type_ids=io["token_type_ids"]).last_hidden_state
        real = io["attention_mask"].bool()
        diff = (out - io["last_hidden_state"]).abs()[real].max().item()
        print(f"{name}: max |transformers - secora| at real tokens, float64: {diff:.2e}")


if __name__ == "__main__":
    main(sys.argv[1])
