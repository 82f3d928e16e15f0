"""The chain engine: loading, the signer graph, diagnosis, repairs and stores (terminal-free)."""
