//! Map a pure function over many inputs on the machine's cores, results in input order. Parsing the
//! documents of a large chart is the one step of a render that splits into independent pieces.

use std::thread;

/// Inputs smaller than this in all are mapped on the calling thread: a thread costs more than it saves.
const MIN_PARALLEL_BYTES: usize = 256 * 1024;

/// `f` applied to every text, in order. Large inputs are cut into one contiguous run of texts per core,
/// of about the same number of bytes each.
pub(super) fn map<T: Send, F>(texts: &[&str], f: F) -> Vec<T>
where
    F: Fn(&str) -> T + Sync,
{
    let total: usize = texts.iter().map(|t| t.len()).sum();
    let cores = thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if cores < 2 || total < MIN_PARALLEL_BYTES {
        return texts.iter().map(|t| f(t)).collect();
    }
    let mut chunks = cut(texts, total.div_ceil(cores));
    // the calling thread maps the first run itself: its allocations reuse what the render freed
    let first = chunks.remove(0);
    thread::scope(|s| {
        let f = &f;
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| s.spawn(move || chunk.iter().map(|t| f(t)).collect::<Vec<T>>()))
            .collect();
        let mut out: Vec<T> = first.iter().map(|t| f(t)).collect();
        for h in handles {
            match h.join() {
                Ok(v) => out.extend(v),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    })
}

/// `texts` cut into contiguous runs of about `per` bytes (the last may be shorter).
fn cut<'a, 'b>(texts: &'b [&'a str], per: usize) -> Vec<&'b [&'a str]> {
    let mut chunks = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, t) in texts.iter().enumerate() {
        bytes += t.len();
        if bytes >= per {
            chunks.push(&texts[start..=i]);
            (start, bytes) = (i + 1, 0);
        }
    }
    if start < texts.len() {
        chunks.push(&texts[start..]);
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::{cut, map};

    #[test]
    fn results_keep_the_input_order_on_any_number_of_threads() {
        let owned: Vec<String> = (0..5000).map(|i| format!("{i:0>100}")).collect();
        let texts: Vec<&str> = owned.iter().map(String::as_str).collect();
        let out = map(&texts, |t| {
            t.trim_start_matches('0').parse::<usize>().unwrap_or(0)
        });
        assert_eq!(out, (0..5000).collect::<Vec<_>>());
    }

    #[test]
    fn cuts_are_contiguous_and_cover_every_text() {
        let texts = ["aaaa", "b", "cc", "dddddd", "e"];
        for per in 1..16 {
            let chunks = cut(&texts, per);
            let joined: Vec<&str> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
            assert_eq!(joined, texts, "per {per}");
            assert!(chunks.iter().all(|c| !c.is_empty()));
        }
    }
}
