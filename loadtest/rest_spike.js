// A spike through Envoy (REST): the job seeker's visits (lib/seeker.js) arrive at CV_BASE_RATE
// per second (default 10), jump to CV_PEAK_RATE (default 150) within CV_RAMP (default 5s), stay
// there for CV_HOLD (default 20s), fall back within CV_RAMP and settle for CV_COOL (default
// 10s). An open model (ramping-arrival-rate): visits keep arriving whether or not the system
// keeps up; those k6 could not start for lack of a free VU (at most CV_MAX_VUS, default 100)
// are counted in `dropped_iterations`.
//
//   .venv/bin/k6 run -e CV_BASE_URL=http://127.0.0.1:8080 loadtest/rest_spike.js
//
// Thresholds: failed requests (CV_MAX_FAILED, default 1 %), checks, and (unless
// CV_LATENCY_THRESHOLDS=0) each route's p95 at 4 times the steady mix's bound.
import { int, str, users } from "./lib/config.js";
import { seekerOptions, visit } from "./lib/seeker.js";

const base = int("CV_BASE_RATE", 10);
const peak = int("CV_PEAK_RATE", 150);
const ramp = str("CV_RAMP", "5s");
const warm = str("CV_WARM", "5s");

const scenarios = {
  spike: {
    executor: "ramping-arrival-rate",
    startRate: base,
    timeUnit: "1s",
    preAllocatedVUs: int("CV_PREALLOCATED_VUS", 20),
    maxVUs: int("CV_MAX_VUS", 100),
    stages: [
      { target: base, duration: warm },
      { target: peak, duration: ramp },
      { target: peak, duration: str("CV_HOLD", "20s") },
      { target: base, duration: ramp },
      { target: base, duration: str("CV_COOL", "10s") },
    ],
  },
};

export const options = seekerOptions(scenarios, { maxFailed: 0.01, latencyScale: 4 });

export function setup() {
  return { users: users() };
}

export default function (data) {
  visit(data);
}
