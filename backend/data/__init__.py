"""Storage mechanisms every domain shares: the database object and column types, the shared store
(Redis or its in-process stand-in), set-based bulk writes, the reading of import files, and statements
built once for the hot paths."""
