"""Developer scripts: running the real servers, evaluation."""
