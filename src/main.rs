//! Thin binary entry point: all logic lives in the library.

fn main() {
    std::process::exit(tack::run());
}
