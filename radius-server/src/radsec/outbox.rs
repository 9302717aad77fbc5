//! Frames queued for one TLS stream, gathered into one write: replies (or
//! requests) that tasks queue together become one TLS record train and one
//! system call instead of one each.

use tokio::sync::mpsc;

/// Gather into `batch` (cleared first) the frame `first` and whatever else
/// is already queued in `rx`, up to about 64 KiB.
pub(super) fn gather(batch: &mut Vec<u8>, first: &[u8], rx: &mut mpsc::Receiver<Vec<u8>>) {
    batch.clear();
    batch.extend_from_slice(first);
    while batch.len() < 64 * 1024 {
        match rx.try_recv() {
            Ok(more) => batch.extend_from_slice(&more),
            Err(_) => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_what_is_queued_and_leaves_the_rest_past_the_bound() {
        let (tx, mut rx) = mpsc::channel(64);
        tx.try_send(vec![2; 10]).unwrap();
        tx.try_send(vec![3; 64 * 1024]).unwrap();
        tx.try_send(vec![4; 5]).unwrap();
        let mut batch = vec![9; 3];
        gather(&mut batch, &[1; 4], &mut rx);
        assert_eq!(batch.len(), 4 + 10 + 64 * 1024, "stops once past 64 KiB");
        assert_eq!(&batch[..5], &[1, 1, 1, 1, 2]);
        assert_eq!(rx.try_recv().unwrap(), vec![4; 5]);
        gather(&mut batch, &[7], &mut rx);
        assert_eq!(batch, [7], "cleared first; nothing else queued");
    }
}
