"""Personal credit reports (个人信用积分评价报告, SPEC §7a): a frozen, signed snapshot a resident hands to a
school, employer or bank, who checks it online with its verification code or offline with the JWKS."""
