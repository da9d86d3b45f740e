"""The training lab page's parts: the field table, controls, custom points, views and texts."""
