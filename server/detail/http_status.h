// The one mapping from a Status to an HTTP status, covering every code (after google.rpc.Code's
// HTTP mapping).
#pragma once

#include "common/status.h"

namespace stillpost::server::detail {

// kOk 200, InvalidArgument 400, FailedPrecondition 400, PermissionDenied 403, NotFound 404,
// AlreadyExists 409, ResourceExhausted 429, DataLoss 500, Internal 500, Unavailable 503,
// DeadlineExceeded 504.
int HttpStatusFor(StatusCode code);

}  // namespace stillpost::server::detail
