"""Run sizes of the MiniLM experiment (quick: the CI setting; full: the gallery's run)."""

from __future__ import annotations

__all__ = ["MODEL", "MODES"]

#: the pretrained model (attnflow.real.MODELS)
MODEL = "all-MiniLM-L6-v2"

#: sentences: of the shipped corpus, for the cosine profile and the energies; flow_sentences: for
#: the flows of the heads against the real layers; loop_sentences: for the looped stack; loops,
#: flow_loops: loops of the real stack and of the attention-only flow; dt: RK4 step of the flows;
#: pi_heads: heads (largest spectral gap first) whose flow is compared with Pi; pi_time: its length
MODES: dict[str, dict] = {
    "quick": {"sentences": 12, "flow_sentences": 2, "loop_sentences": 2, "loops": 40, "flow_loops": 2,
              "dt": 0.25, "pi_heads": 2, "pi_time": 40.0},
    "full": {"sentences": 40, "flow_sentences": 12, "loop_sentences": 12, "loops": 200, "flow_loops": 5,
             "dt": 0.25, "pi_heads": 8, "pi_time": 200.0},
}
