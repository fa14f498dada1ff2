// A job seeker's mix through Envoy (REST): closed loop, CV_VUS virtual users (default 4) for
// CV_DURATION (default 30s), each visit followed by CV_THINK seconds of think time (default 0).
//
//   .venv/bin/k6 run -e CV_BASE_URL=http://127.0.0.1:8080 loadtest/rest_mix.js
//
// k6 exits non-zero when a threshold fails: more than CV_MAX_FAILED (default 1 %) of requests
// failed, a check failed, the scenario made no iteration, or (unless CV_LATENCY_THRESHOLDS=0)
// a route's p95 is over its bound (lib/seeker.js).
import { sleep } from "k6";

import { float, int, str, users } from "./lib/config.js";
import { seekerOptions, visit } from "./lib/seeker.js";

const THINK = float("CV_THINK", 0);

const scenarios = {
  seeker: {
    executor: "constant-vus",
    vus: int("CV_VUS", 4),
    duration: str("CV_DURATION", "30s"),
  },
};

// Requests made in setup() (sign-up, creating applications) are not part of the mix.
export const options = seekerOptions(scenarios, { maxFailed: 0.01 });

export function setup() {
  return { users: users() };
}

export default function (data) {
  visit(data);
  if (THINK > 0) sleep(THINK);
}
