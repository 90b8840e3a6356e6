"""Public credit information (信用信息全公示, SPEC §7)."""
