"""Emergency alerts (CAP) and mobilisation (应急)."""
