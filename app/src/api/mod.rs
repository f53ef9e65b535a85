//! Server functions: the browser's way to the server. Thin adapters onto the domain.
