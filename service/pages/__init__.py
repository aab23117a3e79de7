"""HTML pages for clerks and citizens."""
