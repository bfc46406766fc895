"""Makes tests/fixtures/hf-parity: tiny BERT and RoBERTa models built and run by Hugging Face's own
transformers, so the C++ encoder can be checked against the library whose checkpoints it loads.

Run where transformers is installed (the GPU machine has it; this machine cannot install it):
    python3 scripts/device/make-hf-parity.py OUT_DIR
Each model folder holds config.json and model.safetensors as save_pretrained wrote them, and io.safetensors
with the inputs and the float64 outputs (last_hidden_state, and pooler_output where the model has a pooler).
"""
import json
import os
import sys

import torch
import transformers
from safetensors.torch import save_file
from transformers import BertConfig, BertModel, RobertaConfig, RobertaForMaskedLM


def perturb(model, seed):
    # Hugging Face's init leaves LayerNorm at 1/0 and biases at 0; random values make each tensor matter.
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=p.dtype) * (0.3 if "LayerNorm" not in name else 0.2)
                    + (1.0 if name.endswith("LayerNorm.weight") else 0.0))


def run(encoder, ids, mask, types):
    encoder = encoder.double().eval()
    with torch.no_grad():
        out = encoder(input_ids=ids, attention_mask=mask, token_type_ids=types)
    return out


def main(out_dir):
    common = dict(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                  intermediate_size=37, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
                  attn_implementation="eager")
    # BERT: a bare BertModel (names without prefix, with pooler), token types 0 and 1, padding id 0.
    torch.manual_seed(0)
    bert = BertModel(BertConfig(max_position_embeddings=64, type_vocab_size=2, layer_norm_eps=1e-12,
                                pad_token_id=0, **common))
    perturb(bert, 1)
    ids = torch.tensor([[2, 17, 45, 8, 91, 33, 3, 60, 61, 62, 3, 0],
                        [2, 5, 6, 7, 3, 0, 0, 0, 0, 0, 0, 0],
                        [2, 98, 97, 96, 95, 94, 93, 92, 3, 0, 0, 0]])
    mask = (ids != 0).long()
    types = torch.zeros_like(ids)
    types[0, 7:11] = 1
    d = os.path.join(out_dir, "bert")
    bert.save_pretrained(d, safe_serialization=True)
    out = run(bert, ids, mask, types)
    save_file({"input_ids": ids, "attention_mask": mask, "token_type_ids": types,
               "last_hidden_state": out.last_hidden_state.contiguous(),
               "pooler_output": out.pooler_output.contiguous()}, os.path.join(d, "io.safetensors"))

    # RoBERTa: saved from RobertaForMaskedLM, so names carry the "roberta." prefix and an lm_head to ignore;
    # no pooler; padding id 1, positions counted from padding_idx + 1.
    torch.manual_seed(0)
    mlm = RobertaForMaskedLM(RobertaConfig(max_position_embeddings=66, type_vocab_size=1, layer_norm_eps=1e-5,
                                           pad_token_id=1, bos_token_id=0, eos_token_id=2, **common))
    perturb(mlm, 2)
    ids = torch.tensor([[0, 17, 45, 8, 91, 33, 2, 2, 60, 61, 62, 2],
                        [0, 5, 6, 7, 2, 1, 1, 1, 1, 1, 1, 1],
                        [0, 98, 97, 96, 95, 94, 93, 92, 2, 1, 1, 1]])
    mask = (ids != 1).long()
    types = torch.zeros_like(ids)
    d = os.path.join(out_dir, "roberta")
    mlm.save_pretrained(d, safe_serialization=True)
    out = run(mlm.roberta, ids, mask, types)
    save_file({"input_ids": ids, "attention_mask": mask, "token_type_ids": types,
               "last_hidden_state": out.last_hidden_state.contiguous()}, os.path.join(d, "io.safetensors"))

    with open(os.path.join(out_dir, "VERSIONS.json"), "w") as f:
        json.dump({"torch": torch.__version__, "transformers": transformers.__version__}, f, indent=2)


if __name__ == "__main__":
    main(sys.argv[1])
