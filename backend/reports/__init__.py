"""Reward-backed reports (有奖举报, SPEC §5): residents file reports by name or anonymously, the credit
office has them verified by the department concerned (涉信单位审核无误后录入) and decides, and a
substantiated report lowers the subject's credit and rewards the reporter."""
