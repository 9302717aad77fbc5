//! `-s`: the counts radclient prints at the end, in its layout.

use radius_core::Code;

/// What became of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// A verified reply with this code, which passed its filter or not.
    Reply { code: Code, passed: bool },
    /// No reply in time, or the request could not be sent.
    Lost,
}

impl Outcome {
    /// The exit status it asks for: 0 passed, 1 failed, 2 lost.
    pub(super) fn exit_code(self) -> i32 {
        match self {
            Outcome::Reply { passed: true, .. } => 0,
            Outcome::Reply { passed: false, .. } => 1,
            Outcome::Lost => 2,
        }
    }
}

/// Counts over all requests, as radclient's `-s` prints them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Summary {
    accepted: u64,
    rejected: u64,
    lost: u64,
    passed: u64,
    failed: u64,
}

impl Summary {
    /// Count one outcome. Access-Accept, Accounting-Response, CoA-ACK and
    /// Disconnect-ACK are accepted; Access-Challenge is neither accepted
    /// nor rejected (as radclient counts it); any other reply is rejected.
    pub(super) fn record(&mut self, o: Outcome) {
        match o {
            Outcome::Lost => self.lost += 1,
            Outcome::Reply { code, passed } => {
                match code {
                    Code::ACCESS_ACCEPT
                    | Code::ACCOUNTING_RESPONSE
                    | Code::COA_ACK
                    | Code::DISCONNECT_ACK => self.accepted += 1,
                    Code::ACCESS_CHALLENGE => {}
                    _ => self.rejected += 1,
                }
                if passed {
                    self.passed += 1;
                } else {
                    self.failed += 1;
                }
            }
        }
    }

    /// radclient 3.2's text, byte for byte.
    pub(super) fn text(&self) -> String {
        format!(
            "Packet summary:\n\tAccepted      : {}\n\tRejected      : {}\n\tLost          : {}\n\
             \tPassed filter : {}\n\tFailed filter : {}\n",
            self.accepted, self.rejected, self.lost, self.passed, self.failed
        )
    }

    /// The same as one JSON object (`--json -s`).
    pub(super) fn json(&self) -> serde_json::Value {
        serde_json::json!({ "summary": {
            "accepted": self.accepted,
            "rejected": self.rejected,
            "lost": self.lost,
            "passed": self.passed,
            "failed": self.failed,
        }})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_layout() {
        let mut s = Summary::default();
        for o in [
            Outcome::Reply {
                code: Code::ACCESS_ACCEPT,
                passed: true,
            },
            Outcome::Reply {
                code: Code::ACCESS_REJECT,
                passed: false,
            },
            Outcome::Reply {
                code: Code::ACCESS_CHALLENGE,
                passed: false,
            },
            Outcome::Lost,
        ] {
            s.record(o);
        }
        assert_eq!(
            s.text(),
            "Packet summary:\n\tAccepted      : 1\n\tRejected      : 1\n\tLost          : 1\n\
             \tPassed filter : 1\n\tFailed filter : 2\n"
        );
        assert_eq!(s.json()["summary"]["failed"], 2);
    }
}
