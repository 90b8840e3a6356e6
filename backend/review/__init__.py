"""Review (审核): the pieces every review queue shares — reports now, repairs and objections next —
deadlines in working or calendar days, assignment to a reviewer, and decisions that are final."""
