"""File names inside an index folder (documented in docs/index-format.md)."""

STORE_FILE = "passages.sqlite"
TANTIVY_DIR = "tantivy"
REPORT_FILE = "ingest-report.jsonl"
DEFAULT_INDEX_DIR = ".scent"
VECTORS_DIR = "vectors"
