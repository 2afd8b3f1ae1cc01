"""Import of historical checks from files into a running stack, over RPC."""
