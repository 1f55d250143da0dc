"""Curating reports in the browser: what the upload and review pages need from the data layer."""
