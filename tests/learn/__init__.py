"""Learning a clip: reading, decoding, measuring, copying; what no file may do to a build."""
