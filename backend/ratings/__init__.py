"""Credit households, villages and towns (信用户、信用村、信用镇, SPEC §3)."""
