"""Input and output: batch readers, report formats, the audit log and atomic file writes."""
