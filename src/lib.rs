//! typed-radius facade.
