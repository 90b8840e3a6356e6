"""Uploads (上传文件, SPEC §5): photos and PDFs sent from the phone or the console, recognised by their
bytes, stripped of their metadata, kept behind one storage interface, and attached once to what they
document (a report, an answer, a department's finding; later repairs and objections)."""
