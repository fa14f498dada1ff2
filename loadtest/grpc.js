// Native gRPC straight to the jobs service (k6/net/grpc, no Envoy): GetJob, ListJobs and
// GetJobStats as a signed-in user, and grpc.health.v1.Health/Check, a handler that does almost
// nothing (the baseline of what one gRPC round trip to a Python service costs). One
// constant-vus scenario per call, run side by side; CV_ONLY=get,health runs only those.
//
//   .venv/bin/k6 run -e CV_BASE_URL=http://127.0.0.1:8080 -e CV_JOBS_GRPC=127.0.0.1:50052 loadtest/grpc.js
//
// Users are signed up through the gateway (CV_BASE_URL) in setup() unless CV_SESSION names the
// driver's file. Thresholds: every check passes, every scenario ran, and (unless
// CV_LATENCY_THRESHOLDS=0) each call's p95.
import { LATENCY_THRESHOLDS, failureThresholds, int, pick, str, userOf, users } from "./lib/config.js";
import { getJob, healthCheck, listJobs, stats } from "./lib/grpc.js";

const CALLS = {
  get: { exec: "get", p95: 50 },
  list: { exec: "list", p95: 100 },
  stats: { exec: "statistics", p95: 100 },
  health: { exec: "health", p95: 50 },
};
const only = str("CV_ONLY", Object.keys(CALLS).join(","))
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean);
for (const name of only) {
  if (!CALLS[name]) throw new Error(`CV_ONLY: unknown call ${name}; known: ${Object.keys(CALLS)}`);
}

const scenarios = {};
const latency = {};
for (const name of only) {
  scenarios[`grpc_${name}`] = {
    executor: "constant-vus",
    vus: int("CV_VUS", 2),
    duration: str("CV_DURATION", "30s"),
    exec: CALLS[name].exec,
  };
  latency[`grpc_req_duration{scenario:grpc_${name}}`] = [`p(95)<${CALLS[name].p95}`];
}

export const options = {
  scenarios,
  thresholds: failureThresholds(scenarios, LATENCY_THRESHOLDS ? latency : {}),
  summaryTrendStats: ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)", "count"],
};

export function setup() {
  return { users: users() };
}

export function get(data) {
  const user = userOf(data);
  getJob(user, pick(user.jobs));
}

export function list(data) {
  listJobs(userOf(data));
}

export function statistics(data) {
  stats(userOf(data));
}

export function health() {
  healthCheck();
}
