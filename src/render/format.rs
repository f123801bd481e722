//! How template values print: YAML-safe scalars, failing loudly on undefined values.
