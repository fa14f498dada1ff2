// One visit of a job seeker, the unit of work of rest_mix.js, rest_spike.js and rest_soak.js:
// the board (list: its first page as the SPA asks for it, in the basic view), one application
// opened (get), its notes changed in about a third of the visits (update with the etag just
// read and an update mask), the analytics page in a quarter (stats), and now and then a resume
// analysis (CV_ANALYSIS_SHARE, default 5 %).
import { group } from "k6";

import { ANALYSIS_SHARE, LATENCY_THRESHOLDS, failureThresholds, float, pick, userOf } from "./config.js";
import { analyze, getJob, listJobs, stats, updateJob } from "./rest.js";

// What web/src/jobs/api.ts (listAllJobs) asks for.
const BOARD_QUERY = "pageSize=200&orderBy=update_time%20desc&view=JOB_VIEW_BASIC";

export function visit(data) {
  const user = userOf(data);
  group("board", () => {
    listJobs(user, BOARD_QUERY);
  });
  group("application", () => {
    const edit = Math.random() < 0.33;
    const job = getJob(user, pick(user.jobs), edit);
    if (edit && job) updateJob(user, job);
  });
  if (Math.random() < 0.25) {
    group("analytics", () => {
      stats(user);
    });
  }
  if (Math.random() < ANALYSIS_SHARE) {
    group("analysis", () => {
      analyze(user);
    });
  }
}

// Thresholds on what a job seeker waits for, by route (p95, ms), unless
// CV_LATENCY_THRESHOLDS=0. Generous on purpose: they catch a system that misbehaves (a
// stalled service, a retry storm), not the last millisecond, which `make bench` measures.
export function latencyThresholds(scale = 1) {
  const p95 = (ms) => [`p(95)<${Math.round(ms * scale)}`];
  return {
    "http_req_duration{route:list}": p95(100),
    "http_req_duration{route:get}": p95(50),
    "http_req_duration{route:update}": p95(100),
    "http_req_duration{route:stats}": p95(100),
    "http_req_duration{route:analyze}": p95(1000),
  };
}

// The options of a script that runs `visit` in `scenarios`: the failure thresholds (at most
// CV_MAX_FAILED of requests failed, default `maxFailed`; checks; every scenario ran), `extra`
// thresholds, and (unless CV_LATENCY_THRESHOLDS=0) each route's p95 at `latencyScale` times
// the steady mix's bound.
export function seekerOptions(scenarios, { maxFailed, latencyScale = 1, extra = {} }) {
  return {
    scenarios,
    thresholds: failureThresholds(scenarios, {
      http_req_failed: [`rate<${float("CV_MAX_FAILED", maxFailed)}`],
      ...extra,
      ...(LATENCY_THRESHOLDS ? latencyThresholds(latencyScale) : {}),
    }),
    summaryTrendStats: ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)", "count"],
  };
}
