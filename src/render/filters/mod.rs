//! Custom filters, functions and tests of the template language (see docs/templates.md).
