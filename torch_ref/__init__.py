"""torch_ref: torch.nn twins of scratch models, built from identical weights."""
