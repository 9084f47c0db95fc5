"""OCI images (layouts, dir or tar, and docker archives) to runtime bundles."""
