"""Credit repair (信用修复) and objections (异议), SPEC §6."""
