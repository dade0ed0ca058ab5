"""The ``real`` command: one text through a real pretrained transformer, against the theory."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.table import Table

from .app import abort, app, console, console_err, escape, kv_table

__all__ = ["real"]


@app.command()
def real(
    text: Annotated[str, typer.Argument(help="The text (one sequence, at most 512 tokens with [CLS] and "
                                        "[SEP]).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder for the figures and the hidden "
                                             "states (hidden_states.npy); nothing is written without "
                                             "it.")] = None,
    model: Annotated[str, typer.Option("--model", help="The pretrained model.")] = "all-MiniLM-L6-v2",
    loops: Annotated[int, typer.Option("--loops", min=1, help="Loops of the real stack.")] = 40,
    flow_loops: Annotated[int, typer.Option("--flow-loops", min=0, help="Loops of the attention-only flow "
                                            "(about 1 s each; 0 skips it).")] = 2,
    dt: Annotated[float, typer.Option("--dt", min=1e-6, help="RK4 step of the flows.")] = 0.25,
) -> None:
    """A text through a pretrained transformer: tokens, cosines, effective beta, energy, flows vs layers,
    and the looped stack (needs the extra: pip install 'attnflow[real]')."""
    from ..analysis import blas_threads
    from ..experiments.minilm import measure
    from ..real import MissingExtraError, figures, load

    try:
        with blas_threads(1):
            t0 = time.perf_counter()
            tr = load(model)
            load_time = time.perf_counter() - t0
            geo = measure.geometry(tr, [text])
            console_err.print(f"{tr!r}: loaded in {load_time:.2f} s, forward pass "
                              f"{1e3 * geo['forward_time']:.0f} ms", highlight=False)
            states = geo["states"][0]
            fl = measure.flows(tr, [states], dt)
            lp = measure.loops(tr, [states], loops, flow_loops, dt)
    except MissingExtraError as exc:
        abort(escape(str(exc)))
    except ValueError as exc:
        abort(escape(str(exc)))
    console.print(kv_table("tokens", [(str(len(tr.tokens(text))), escape(" ".join(tr.tokens(text))))]))
    table = Table(title=f"{escape(model)}: the layers of the text (pairs of its {states.shape[1]} tokens)",
                  title_justify="left")
    for col in ("state", "|x|", "beta", "cos", ">0.9", ">0.99", "log E1", "flow", "layer"):
        table.add_column(col, justify="right")
    prof, tok = geo["profile"], fl["tokens"]
    for i in range(states.shape[0]):
        ratios = ("-", "-") if i == states.shape[0] - 1 else tuple(
            f"{tok[i, p, 0] / tok[i, 0, 0]:.3f}" for p in (1, 2))
        table.add_row("emb." if i == 0 else f"{i}", f"{np.linalg.norm(states[i], axis=1).mean():.2f}",
                      f"{geo['beta'][0, i]:.1f}", f"{prof.mean[i]:.4f}", f"{prof.above[i, 0]:.3f}",
                      f"{prof.above[i, 1]:.3f}", f"{geo['identity_energy'][0, i]:.3f}", *ratios)
    console.print(table)
    console.print("state: the embeddings, then the output of layers 1-6; |x|: mean norm; beta: beta_eff "
                  "= (mean |x|)^2; cos: mean pairwise cosine and fractions above 0.9, 0.99; log E1: energy "
                  "(A = I, beta = 1) of the directions; flow, layer: the error 1 - cos toward the next real "
                  "residual update x + attn(x) of the next layer's attnflow flow (t = 1) and attnflow layer, "
                  "over the error of no motion.", highlight=False)
    rows = []
    for name, runs in lp["runs"].items():
        r = runs[0]
        n = flow_loops if name == "attnflow flow" else loops
        rows.append((name, f"{n} loops: {r.clusters[-1]} cluster(s) (cos >= 0.99), settled after loop "
                           f"{r.settled}, mean cos {r.mean_cos[-1]:.4f}, "
                           f"{1e3 * lp['time_per_loop'][name]:.0f} ms per loop"))
    console.print(kv_table("the stack looped (one loop = all layers once)", rows))
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        np.save(out / "hidden_states.npy", states)
        arrays = {name: {"mean_cos": np.array([r.mean_cos for r in rs]),
                         "above99": np.array([r.above[:, 1] for r in rs]),
                         "clusters": np.array([r.clusters for r in rs])} for name, rs in lp["runs"].items()}
        paths = [figures.ridge_figure(prof, out / "cosines.png", f"{model}: pairwise cosines of the tokens"),
                 figures.flow_figure(tok, fl["per_token"], fl["head_ratio"], out / "flows.png"),
                 figures.loop_figure(arrays, out / "loops.png")]
        console.print("wrote " + ", ".join(escape(p) for p in [str(out / "hidden_states.npy"), *paths]),
                      highlight=False)
