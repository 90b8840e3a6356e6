"""Time as the product speaks it: UTC stored, Asia/Shanghai shown, and the mainland's working days."""
