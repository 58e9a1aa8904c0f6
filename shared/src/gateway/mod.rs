//! Between API Gateway and the handlers: the v2 event in, the request read
//! from it once, the reply built by a handler, the v2 response out.

pub(crate) mod event;
pub(crate) mod reply;
pub(crate) mod request;
