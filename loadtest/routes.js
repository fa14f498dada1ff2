// One route at a time, for measurements (scripts/bench_load.py runs it once per route and
// load): REST through Envoy or native gRPC straight to a jobs process.
//
//   CV_ROUTE     rest_get | rest_list | rest_list_basic | rest_stats | rest_healthz (Envoy
//                answering alone) | grpc_get | grpc_list | grpc_list_basic | grpc_stats
//                | grpc_health (an empty handler); *_list_basic: the list in JOB_VIEW_BASIC
//   CV_RATE      requests per second (constant-arrival-rate: an open model, for latency at a
//                given load); without it, CV_VUS closed-loop VUs (default 1) send requests as
//                fast as they are answered (throughput)
//   CV_DURATION  default 10s
//
//   .venv/bin/k6 run -e CV_ROUTE=rest_get -e CV_VUS=8 loadtest/routes.js
//
// The summary has the route's latency on its own: http_req_duration{route:get} (REST),
// grpc_req_duration{call:GetJob} (gRPC), without setup's requests or the reflection call the
// health client makes when it connects. Latency is measured here, not judged: no p95
// threshold; the failure thresholds of every script apply.
import { failureThresholds, float, int, pick, str, userOf, users } from "./lib/config.js";
import * as g from "./lib/grpc.js";
import * as rest from "./lib/rest.js";

const ROUTES = {
  rest_get: (u) => rest.getJob(u, pick(u.jobs)),
  rest_list: (u) => rest.listJobs(u),
  rest_list_basic: (u) => rest.listJobs(u, "pageSize=50&view=JOB_VIEW_BASIC", "list_basic"),
  rest_stats: (u) => rest.stats(u),
  rest_healthz: () => rest.healthz(),
  grpc_get: (u) => g.getJob(u, pick(u.jobs)),
  grpc_list: (u) => g.listJobs(u),
  grpc_list_basic: (u) => g.listJobs(u, "JOB_VIEW_BASIC"),
  grpc_stats: (u) => g.stats(u),
  grpc_health: () => g.healthCheck(),
};
const route = str("CV_ROUTE", "rest_get");
if (!ROUTES[route]) throw new Error(`CV_ROUTE: unknown route ${route}; known: ${Object.keys(ROUTES)}`);
const rate = int("CV_RATE", 0);
const duration = str("CV_DURATION", "10s");

const scenarios = {
  [route]: rate
    ? {
        executor: "constant-arrival-rate",
        rate,
        timeUnit: "1s",
        duration,
        preAllocatedVUs: int("CV_PREALLOCATED_VUS", 4),
        maxVUs: int("CV_MAX_VUS", 50),
      }
    : { executor: "constant-vus", vus: int("CV_VUS", 1), duration },
};

// A submetric named in the thresholds is in the summary: the samples tagged with this route.
const CALLS = {
  grpc_get: "GetJob",
  grpc_list: "ListJobs",
  grpc_list_basic: "ListJobsBasic",
  grpc_stats: "GetJobStats",
  grpc_health: "Check",
};
const metric = route.startsWith("rest_")
  ? `http_req_duration{route:${route.slice(5)}}`
  : `grpc_req_duration{call:${CALLS[route]}}`;

export const options = {
  scenarios,
  thresholds: failureThresholds(scenarios, {
    [metric]: ["max>0"],
    http_req_failed: [`rate<${float("CV_MAX_FAILED", 0.01)}`],
    ...(rate ? { dropped_iterations: [`count<=${int("CV_MAX_DROPPED", Math.ceil(rate))}`] } : {}),
  }),
  summaryTrendStats: ["avg", "min", "med", "max", "p(50)", "p(90)", "p(95)", "p(99)", "count"],
};

export function setup() {
  return { users: users() };
}

export default function (data) {
  ROUTES[route](userOf(data));
}

