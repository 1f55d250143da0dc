"""The curation pages: signing in, and adding reports from the browser (``/curate``)."""
