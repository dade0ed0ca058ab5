"""Experiments that hold the theory against simulations (one module per study)."""

__all__: list[str] = []
