"""Acting on a report: HTML review pages, exports, label corrections and audit diffs."""
