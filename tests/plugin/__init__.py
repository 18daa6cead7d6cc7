"""Real Pelican builds: Pelican's side."""
