"""The Dash front end: layout and callbacks only. Every number comes from :mod:`metrics`."""
