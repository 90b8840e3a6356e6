"""Personal data (SPEC §2): sealing at rest with keyed look-up hashes, masking for display, and the
checking of ID numbers."""
