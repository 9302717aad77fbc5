//! Which codes answer which requests, and the checks a reply must pass.

use radius_core::packet::{AuthError, DecodeError};
use radius_core::{Code, Packet, Secret};

/// Whether a request code must carry Message-Authenticator: Access-Request
/// and Status-Server always get one (RFC 3579, RFC 5997, BlastRADIUS).
pub fn needs_message_authenticator(code: Code) -> bool {
    matches!(code, Code::ACCESS_REQUEST | Code::STATUS_SERVER)
}

/// Whether `reply` is a legal answer to a request with code `request`.
pub fn is_reply_to(request: Code, reply: Code) -> bool {
    match request {
        Code::ACCESS_REQUEST => matches!(
            reply,
            Code::ACCESS_ACCEPT | Code::ACCESS_REJECT | Code::ACCESS_CHALLENGE
        ),
        Code::ACCOUNTING_REQUEST => reply == Code::ACCOUNTING_RESPONSE,
        Code::STATUS_SERVER => matches!(reply, Code::ACCESS_ACCEPT | Code::ACCOUNTING_RESPONSE),
        Code::COA_REQUEST => matches!(reply, Code::COA_ACK | Code::COA_NAK),
        Code::DISCONNECT_REQUEST => matches!(reply, Code::DISCONNECT_ACK | Code::DISCONNECT_NAK),
        // Other (RFC 3575) requests: any non-request code, Protocol-Error included.
        _ => !reply.is_request(),
    }
}

/// Why a datagram was not accepted as the reply to a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// Not a well-formed RADIUS packet.
    #[error("malformed reply: {0}")]
    Decode(#[from] DecodeError),
    /// The Identifier is not the request's.
    #[error("reply Identifier {got} does not match request Identifier {want}")]
    Identifier {
        /// The request's Identifier.
        want: u8,
        /// The reply's.
        got: u8,
    },
    /// The code cannot answer this request (e.g. CoA-ACK to Access-Request).
    #[error("{reply} is not a reply to {request}")]
    UnexpectedCode {
        /// The request's code.
        request: Code,
        /// The reply's.
        reply: Code,
    },
    /// Response Authenticator or Message-Authenticator wrong.
    #[error("{0}")]
    Auth(#[from] AuthError),
    /// No request is outstanding under the reply's Identifier (or, in
    /// RADIUS/1.1, its Token): late, duplicate or foreign.
    #[error("no outstanding request for this reply")]
    Unmatched,
    /// Message-Authenticator required but absent.
    #[error("reply has no Message-Authenticator, which is required")]
    MissingMessageAuthenticator,
}

/// Verify a datagram as the reply to a request: Identifier, code, Response
/// Authenticator and (when present, or when `require_ma`)
/// Message-Authenticator. `request_auth` is the request's authenticator
/// field as sent. Returns the packet and whether it carried a valid
/// Message-Authenticator.
pub fn verify_reply<'a>(
    data: &'a [u8],
    request_code: Code,
    request_id: u8,
    request_auth: &[u8; 16],
    secret: &Secret,
    require_ma: bool,
) -> Result<(Packet<'a>, bool), ReplyError> {
    let p = Packet::decode(data)?;
    if p.identifier() != request_id {
        return Err(ReplyError::Identifier {
            want: request_id,
            got: p.identifier(),
        });
    }
    if !is_reply_to(request_code, p.code()) {
        return Err(ReplyError::UnexpectedCode {
            request: request_code,
            reply: p.code(),
        });
    }
    let has_ma = p.verify_reply(secret, request_auth)?;
    if require_ma && !has_ma {
        return Err(ReplyError::MissingMessageAuthenticator);
    }
    Ok((p, has_ma))
}
