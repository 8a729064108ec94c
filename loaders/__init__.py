"""Excel monitoring workbook → validated rows → DuckDB. No Streamlit here."""
from loaders.importer import (IMPORTED, REFUSED, UNCHANGED, ImportResult, import_bytes, import_file,
                              import_history, restore_version)
from loaders.diff import preview_changes
from loaders.problems import Problem
from loaders.report import report_xlsx
from loaders.template import template_bytes, write_template
from loaders.validate import ParsedPlan, validate_workbook

__all__ = ["IMPORTED", "REFUSED", "UNCHANGED", "ImportResult", "ParsedPlan", "Problem", "import_bytes", "import_file",
           "import_history", "preview_changes", "report_xlsx", "restore_version", "template_bytes",
           "validate_workbook", "write_template"]
