"""Node scripts that drive the official JavaScript clients, and their Python drivers."""
