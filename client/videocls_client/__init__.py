"""videocls package."""
