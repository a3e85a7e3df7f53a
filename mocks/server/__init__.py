"""A small HTTP/1.1 server for the mocks: httptools parsing on asyncio protocols, no framework."""
