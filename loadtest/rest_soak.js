// A soak through Envoy (REST): the job seeker's visits (lib/seeker.js) at a constant CV_RATE per
// second (default 20) for CV_DURATION (default 10m; `-e CV_DURATION=2h` for a real soak). An
// open model (constant-arrival-rate) with up to CV_MAX_VUS (default 50) VUs. Access tokens last
// 15 minutes: each VU signs in again shortly before its token expires (lib/config.js).
//
//   .venv/bin/k6 run -e CV_BASE_URL=http://127.0.0.1:8080 -e CV_DURATION=1h loadtest/rest_soak.js
//
// Thresholds: failed requests (CV_MAX_FAILED, default 0.1 %), checks, no dropped visit (the
// system kept up with the rate), and (unless CV_LATENCY_THRESHOLDS=0) each route's p95
// (lib/seeker.js). Watch the services' memory while it runs (scripts/bench_load.py does).
import { int, str, users } from "./lib/config.js";
import { seekerOptions, visit } from "./lib/seeker.js";

const scenarios = {
  soak: {
    executor: "constant-arrival-rate",
    rate: int("CV_RATE", 20),
    timeUnit: "1s",
    duration: str("CV_DURATION", "10m"),
    preAllocatedVUs: int("CV_PREALLOCATED_VUS", 10),
    maxVUs: int("CV_MAX_VUS", 50),
  },
};

export const options = seekerOptions(scenarios, {
  maxFailed: 0.001,
  extra: { dropped_iterations: [`count<=${int("CV_MAX_DROPPED", 0)}`] },
});

export function setup() {
  return { users: users() };
}

export default function (data) {
  visit(data);
}
