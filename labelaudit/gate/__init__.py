"""The label-quality gate for pre-commit hooks and CI: audit, compare with a baseline, judge."""
