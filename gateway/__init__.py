"""HTTP gateway: turns each HTTP endpoint into a Nameko RPC call."""
