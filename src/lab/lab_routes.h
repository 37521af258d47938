#pragma once
// The API's routes, by topic (docs/lab.md lists them all).
#include <httplib.h>

#include "lab_state.h"

namespace handgrad::lab {

// /api/runs...: create, list, control, events (SSE), views, exports.
void add_run_routes(httplib::Server& svr, LabState& state);
// /api/layers, /api/data, /api/models, /api/predict, /api/confusion, /api/testimages.
void add_model_routes(httplib::Server& svr, LabState& state);

}  // namespace handgrad::lab
