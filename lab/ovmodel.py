"""A tiny OpenVINO chat model built locally, for the twin's ov-llm-server (no download, no torch).

`build(directory)` writes, in about a second, a directory that `openvino_genai.LLMPipeline(directory, "CPU")`
loads like an optimum-intel export of a stateful decoder:

- `openvino_model.xml/.bin`: a 2-layer decoder written with OpenVINO's opset API. Inputs `input_ids`,
  `attention_mask`, `position_ids` (all i64 [batch, seq]) and `beam_idx` (i32 [batch]); output `logits`
  [batch, seq, vocab]. Its KV cache is model state: one ReadValue/Assign pair per layer and per K/V,
  variable ids `past_key_values.N.key` / `past_key_values.N.value`, [batch, heads, past, head_dim], initial
  value [batch, heads, 0, head_dim] (genai finds the sequence axis by that 0), re-ordered by `beam_idx`
  (Gather on the batch axis) before the new keys are concatenated, as optimum's stateful export does.
  Attention is opset13 ScaledDotProductAttention with an explicit causal + padding mask. Weights are
  random, seeded (`SEED`), so every build is the same model.
- `openvino_tokenizer.xml` / `openvino_detokenizer.xml`: a byte-level BPE tokenizer trained here with the
  `tokenizers` library on a small built-in text, with a ChatML chat template (`<|im_start|>`/`<|im_end|>`, as
  Qwen2.5's), converted by `openvino_tokenizers.convert_tokenizer(..., with_detokenizer=True)` (which needs
  `transformers` for the PreTrainedTokenizerFast wrapper; no torch).
- `generation_config.json`, `config.json`, `tokenizer.json`, `tokenizer_config.json`, `special_tokens_map.json`.

How the model answers (what a test can rely on):
- It never ends an answer early. The last layer adds a very negative bias (`MASKED`) to the logits of EOS
  (`<|im_end|>`, `<|endoftext|>`), of every special token, and of every token that does not decode to
  printable ASCII. So an answer is always exactly `max_new_tokens` tokens, each at least one visible
  character, and the text grows with `max_tokens`, as a real model's does when it has more to say. This is
  done in the weights, not with `min_new_tokens` in generation_config.json, because ov-llm-server builds a
  fresh `GenerationConfig()` per request (homelab-llm `services/ov-llm-server/main.py` lines 156-161), so
  the model directory's generation config never reaches the sampler; only the model's logits do.
- It is confident: the logits are one-hot on the best remaining token (TopK k=1, then OneHot with 0 on the
  winner and `MASKED` elsewhere). ov-llm-server always samples (`do_sample=True`, temperature from the
  request, no seed), so only a model whose distribution has a single token of non-zero probability answers
  deterministically through it; greedy and sampled decoding then agree, and the same prompt gives the same
  answer on every request. Different prompts give different answers (the attention sees the whole prompt).
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import sys

import numpy as np

# `import openvino` sends a usage event to Google Analytics (openvino.tools.ovc, through openvino_telemetry,
# opt-out: on unless ~/intel/openvino_telemetry says 0 or CI=true). Blocking the package makes OpenVINO use
# its own no-op stub (openvino/tools/ovc/telemetry_utils.py: `except ImportError: ... telemetry_stub`):
# no DNS lookup, no ~/intel/ files. It must come before the first import of openvino in the process.
sys.modules.setdefault("openvino_telemetry", None)

import openvino as ov  # noqa: E402
import openvino.opset13 as op  # noqa: E402
from openvino import Type  # noqa: E402
from openvino.op import assign, read_value  # noqa: E402
from openvino.op.util import Variable, VariableInfo  # noqa: E402

SEED = 20260
LAYERS = 2
HIDDEN = 64
HEADS = 4
HEAD_DIM = HIDDEN // HEADS
FFN = 4 * HIDDEN
VOCAB_TARGET = 512  # BPE vocabulary size asked of the trainer (bytes + merges + special tokens)
MASKED = -1.0e4  # logit bias of tokens the model never emits
EPS = 1e-6

ENDOFTEXT = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
SPECIAL_TOKENS = [ENDOFTEXT, IM_START, IM_END]

# ChatML, as Qwen2.5-Instruct's template renders it without tools.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

# Training text for the BPE merges: plain English, so tokens look like word pieces.
CORPUS = """\
The lab runs a small language model on the Mini, behind a proxy that routes each request to a backend.
A request names a model, carries the messages of a conversation, and asks for an answer of bounded length.
The server reads its registry, loads the model on the device it was told to use, and streams the tokens back.
Every night the conformance suite checks that the services still match the inventory that describes them.
When a service drifts, the report says what was expected, what was found, and where the value came from.
Models are converted to the OpenVINO format once and kept on disk with their tokenizer and configuration.
A tokenizer splits text into pieces, maps each piece to a number, and turns numbers back into text.
The decoder looks at the prompt and the tokens it has written so far, then picks the next token.
Keys and values of past tokens stay in the model state, so each new token costs one short step.
Hello, how are you today? I am fine, thank you. What is the weather like? It is sunny and warm.
Please write a short answer. Here is a list of three things: apples, bread, and coffee.
Numbers such as 1, 2, 3, 10, 42 and 2026 appear in logs, ports like 4000, 8100 and 9000, and dates.
"""


def build(directory: str | os.PathLike) -> dict:
    """Write the model, tokenizer and configs into `directory` (created if needed); returns a summary."""
    started = time.monotonic()
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = _train_tokenizer()
    vocab_size = tokenizer.get_vocab_size()
    special_ids = {t: tokenizer.token_to_id(t) for t in SPECIAL_TOKENS}
    bias = _emission_bias(tokenizer)
    _write_tokenizer(tokenizer, out)
    _write_model(vocab_size, bias, out)
    eos = [special_ids[IM_END], special_ids[ENDOFTEXT]]
    _write_json(out / "generation_config.json", {
        "bos_token_id": special_ids[ENDOFTEXT], "eos_token_id": eos, "pad_token_id": special_ids[ENDOFTEXT],
        "do_sample": False, "max_new_tokens": 1024,
    })
    _write_json(out / "config.json", {
        "architectures": ["TwinDecoderForCausalLM"], "model_type": "twin-decoder",
        "vocab_size": vocab_size, "hidden_size": HIDDEN, "num_hidden_layers": LAYERS,
        "num_attention_heads": HEADS, "num_key_value_heads": HEADS, "intermediate_size": FFN,
        "bos_token_id": special_ids[ENDOFTEXT], "eos_token_id": special_ids[IM_END],
        "seed": SEED, "built_by": "lab/ovmodel.py",
    })
    return {"path": str(out), "vocab_size": vocab_size, "emittable_tokens": int((bias == 0).sum()),
            "eos_token_id": eos, "seconds": round(time.monotonic() - started, 3)}


# --- tokenizer -------------------------------------------------------------------------------------------

def _train_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB_TARGET, special_tokens=SPECIAL_TOKENS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(CORPUS.splitlines(), trainer=trainer)
    return tok


def _emission_bias(tokenizer) -> np.ndarray:
    """0 for tokens the model may write (decode to printable ASCII with a visible character), MASKED else."""
    bias = np.full(tokenizer.get_vocab_size(), MASKED, dtype=np.float32)
    specials = {tokenizer.token_to_id(t) for t in SPECIAL_TOKENS}
    for i in range(tokenizer.get_vocab_size()):
        if i in specials:
            continue
        text = tokenizer.decode([i], skip_special_tokens=False)
        if text and text.isascii() and text.isprintable() and text.strip():
            bias[i] = 0.0
    return bias


def _write_tokenizer(tokenizer, out: Path) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # transformers is only a wrapper here: never reach a hub
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    from openvino_tokenizers import convert_tokenizer
    from transformers import PreTrainedTokenizerFast

    hf = PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token=None, eos_token=IM_END,
                                 pad_token=ENDOFTEXT, unk_token=None, additional_special_tokens=[IM_START],
                                 chat_template=CHAT_TEMPLATE, model_max_length=32768)
    hf.save_pretrained(out)
    ov_tok, ov_detok = convert_tokenizer(hf, with_detokenizer=True)
    ov.save_model(ov_tok, out / "openvino_tokenizer.xml")
    ov.save_model(ov_detok, out / "openvino_detokenizer.xml")


# --- decoder ---------------------------------------------------------------------------------------------

def _write_model(vocab_size: int, bias: np.ndarray, out: Path) -> None:
    ov.save_model(decoder(vocab_size, bias), out / "openvino_model.xml", compress_to_fp16=False)


def decoder(vocab_size: int, bias: np.ndarray):
    """The stateful decoder as an ov.Model (see the module docstring)."""
    rng = np.random.default_rng(SEED)

    def weight(*shape, scale=None):
        scale = (1.0 / np.sqrt(shape[0])) if scale is None else scale
        return op.constant(rng.normal(0.0, scale, shape).astype(np.float32))

    input_ids = op.parameter([-1, -1], Type.i64, name="input_ids")
    attention_mask = op.parameter([-1, -1], Type.i64, name="attention_mask")
    position_ids = op.parameter([-1, -1], Type.i64, name="position_ids")
    beam_idx = op.parameter([-1], Type.i32, name="beam_idx")
    params = [input_ids, attention_mask, position_ids, beam_idx]
    for p in params:
        p.output(0).get_tensor().set_names({p.get_friendly_name()})

    # token embedding + sinusoidal position embedding (positions come from position_ids, any length)
    x = op.gather(weight(vocab_size, HIDDEN, scale=1.0), input_ids, i64(0))
    inv_freq = (1.0 / (10000.0 ** (np.arange(0, HIDDEN, 2, dtype=np.float32) / HIDDEN))).astype(np.float32)
    angles = op.multiply(op.unsqueeze(op.convert(position_ids, Type.f32), i64(-1)), op.constant(inv_freq))
    x = op.add(x, op.concat([op.sin(angles), op.cos(angles)], -1))

    batch = op.gather(op.shape_of(input_ids), scalar(0), scalar(0))
    new_len = op.gather(op.shape_of(input_ids), scalar(1), scalar(0))
    empty_cache_shape = op.concat([op.unsqueeze(batch, i64(0)), i64(HEADS, 0, HEAD_DIM)], 0)
    empty_cache = op.broadcast(op.constant(np.float32(0.0)), empty_cache_shape)

    def heads(t):  # [B, S, HIDDEN] -> [B, HEADS, S, HEAD_DIM]
        return op.transpose(op.reshape(t, i64(0, 0, HEADS, HEAD_DIM), special_zero=True), i64(0, 2, 1, 3))

    sinks, mask = [], None
    for layer in range(LAYERS):
        h = rms_norm(x)
        q, k, v = (heads(op.matmul(h, weight(HIDDEN, HIDDEN), False, False)) for _ in range(3))
        present = []
        for kind, new in (("key", k), ("value", v)):
            info = VariableInfo()
            info.variable_id = f"past_key_values.{layer}.{kind}"
            info.data_type = Type.f32
            info.data_shape = ov.PartialShape([-1, HEADS, -1, HEAD_DIM])
            var = Variable(info)
            past = read_value(empty_cache, var)
            past = op.gather(past, beam_idx, i64(0))  # beam search re-orders the cache by beam_idx
            cur = op.concat([past, new], 2)
            sinks.append(assign(cur, var))
            present.append(cur)
        if mask is None:
            mask = _attention_mask(attention_mask, present[0], new_len)
        attn = op.scaled_dot_product_attention(q, present[0], present[1], mask)
        attn = op.reshape(op.transpose(attn, i64(0, 2, 1, 3)), i64(0, 0, HIDDEN), special_zero=True)
        x = op.add(x, op.matmul(attn, weight(HIDDEN, HIDDEN), False, False))
        hidden = op.gelu(op.matmul(rms_norm(x), weight(HIDDEN, FFN), False, False), "erf")
        x = op.add(x, op.matmul(hidden, weight(FFN, HIDDEN), False, False))

    # unit-norm output embeddings: no token wins argmax by the length of its vector alone
    head = rng.normal(0.0, 1.0, (HIDDEN, vocab_size)).astype(np.float32)
    head /= np.linalg.norm(head, axis=0, keepdims=True)
    scores = op.add(op.matmul(rms_norm(x), op.constant(head), False, False), op.constant(bias))
    best = op.topk(scores, np.int64(1), -1, "max", "none", "i64").output(1)  # [B, S, 1]
    best = op.squeeze(best, i64(-1))
    logits = op.one_hot(best, np.int64(vocab_size), np.float32(0.0), np.float32(MASKED), -1)
    logits.output(0).get_tensor().set_names({"logits"})
    logits.set_friendly_name("logits")
    return ov.Model([op.result(logits)], sinks, params, "twin-decoder")


def i64(*values):
    return op.constant(np.array(values, dtype=np.int64))


def scalar(value):
    return op.constant(np.int64(value))


def rms_norm(x):
    mean_sq = op.reduce_mean(op.multiply(x, x), i64(-1), keep_dims=True)
    return op.divide(x, op.sqrt(op.add(mean_sq, op.constant(np.float32(EPS)))))


def _attention_mask(attention_mask, keys, new_len):
    """[B, 1, S, T] additive mask: a query at absolute position past+i sees keys 0..past+i that are not padding."""
    total = op.gather(op.shape_of(keys), scalar(2), scalar(0))  # past + new
    past = op.subtract(total, new_len)
    q_pos = op.add(op.range(scalar(0), new_len, scalar(1), Type.i64), past)  # [S]
    k_pos = op.range(scalar(0), total, scalar(1), Type.i64)  # [T]
    causal = op.less_equal(op.unsqueeze(k_pos, i64(0)), op.unsqueeze(q_pos, i64(1)))  # [S, T]
    not_pad = op.unsqueeze(op.not_equal(attention_mask, op.constant(np.int64(0))), i64(1, 2))  # [B,1,1,T]
    allowed = op.logical_and(op.unsqueeze(causal, i64(0, 1)), not_pad)  # [B, 1, S, T]
    return op.select(allowed, op.constant(np.float32(0.0)), op.constant(np.float32(-1.0e9)))


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":  # python -m lab.ovmodel DIR
    import sys

    print(json.dumps(build(sys.argv[1] if len(sys.argv) > 1 else "ov-twin-model")))
