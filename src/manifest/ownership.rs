//! How tack marks the objects it owns: the server-side apply field manager and the release annotations.
//! Pure constants, so that the diff core can hide them without depending on the apply engine.

/// The server-side apply field manager of every write tack makes.
pub const FIELD_MANAGER: &str = "tack";
/// Annotation naming the release that owns an object.
pub const RELEASE_NAME_ANNOTATION: &str = "tack.dev/release-name";
/// Annotation naming the namespace of the release that owns an object.
pub const RELEASE_NAMESPACE_ANNOTATION: &str = "tack.dev/release-namespace";
