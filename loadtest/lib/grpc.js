// Native gRPC calls straight to a jobs process (no Envoy), with k6/net/grpc. The JobService
// messages come from the descriptor set `make gen` builds (build/careervault.pb, every import
// included); the health service (grpc.health.v1, the empty-handler baseline) through server
// reflection, which every CareerVault service enables.
import { check } from "k6";
import grpc from "k6/net/grpc";

import { JOBS_GRPC, tokenFor } from "./config.js";

export const JOB_SERVICE = "careervault.jobs.v1.JobService";
export const HEALTH_CHECK = "grpc.health.v1.Health/Check";

// Loaded in the init context (once per VU). k6 resolves the path from the directory of the
// script it runs (loadtest/), not from this file's.
const jobs = new grpc.Client();
jobs.loadProtoset(__ENV.CV_PROTOSET || "../build/careervault.pb");
const health = new grpc.Client();

const connected = { jobs: false, health: false };

function jobsClient() {
  if (!connected.jobs) {
    jobs.connect(JOBS_GRPC, { plaintext: true, timeout: "5s" });
    connected.jobs = true;
  }
  return jobs;
}

function healthClient() {
  if (!connected.health) {
    health.connect(JOBS_GRPC, { plaintext: true, reflect: true, timeout: "5s" });
    connected.health = true;
  }
  return health;
}

function call(user, method, request, name) {
  const res = jobsClient().invoke(`${JOB_SERVICE}/${method}`, request, {
    metadata: { authorization: `Bearer ${tokenFor(user)}` },
    tags: { call: name },
    timeout: "10s",
  });
  check(res, { [`${name}: OK`]: (r) => r && r.status === grpc.StatusOK });
  return res && res.status === grpc.StatusOK ? res.message : null;
}

export function getJob(user, name) {
  const job = call(user, "GetJob", { name }, "GetJob");
  check(job, { "GetJob: the job asked for": (j) => j !== null && j.name === name });
  return job;
}

// `view`: JOB_VIEW_BASIC leaves out the long fields; tagged ListJobsBasic then.
export function listJobs(user, view = "JOB_VIEW_UNSPECIFIED") {
  const name = view === "JOB_VIEW_BASIC" ? "ListJobsBasic" : "ListJobs";
  const page = call(user, "ListJobs", { page_size: 50, view: view }, name);
  check(page, {
    [`${name}: jobs and total_size`]: (p) => p !== null && p.jobs.length > 0 && p.totalSize > 0,
  });
  return page;
}

export function stats(user) {
  const s = call(user, "GetJobStats", { weeks: 12 }, "GetJobStats");
  check(s, { "GetJobStats: counts the applications": (v) => v !== null && v.total > 0 });
  return s;
}

export function healthCheck() {
  const res = healthClient().invoke(HEALTH_CHECK, {}, { tags: { call: "Check" }, timeout: "10s" });
  check(res, {
    "Check: SERVING": (r) => r && r.status === grpc.StatusOK && r.message.status === "SERVING",
  });
}
