"""Mock of the cursor-runner service."""
