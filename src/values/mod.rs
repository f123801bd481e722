//! Values layers: load YAML with line positions, merge layers, apply `--set` flags, explain and validate.
