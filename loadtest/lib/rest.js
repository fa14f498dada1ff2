// The REST calls a job seeker's browser makes through Envoy, as the SPA makes them
// (web/src/jobs/api.ts, web/src/pages/Analytics.tsx, web/src/pages/Analyze.tsx): JSON, a bearer
// token, camelCase fields. Every request is tagged with its `route` so thresholds and the
// summary can tell them apart.
import { check } from "k6";
import http from "k6/http";
import { Counter } from "k6/metrics";

import { BASE_URL, pick, tokenFor } from "./config.js";

export const etagConflicts = new Counter("etag_conflicts");

// A PATCH with a stale etag answers 409 (ABORTED): the right answer when two VUs edit the
// same application at once, so it is not a failed request; it is counted apart.
const UPDATE_STATUSES = http.expectedStatuses(200, 409);

function params(user, route, extra = {}) {
  return {
    headers: {
      Authorization: `Bearer ${tokenFor(user)}`,
      Accept: "application/json",
      "Content-Type": "application/json",
    },
    tags: { route },
    ...extra,
  };
}

function json(res) {
  try {
    return res.json();
  } catch (e) {
    return null;
  }
}

// Checks look for what the answer must contain in its text, and parse the JSON only when the
// caller needs a value from it: k6 runs on the same cores as the system it measures, and
// parsing a page of 50 applications costs it milliseconds.
function has(res, text) {
  return typeof res.body === "string" && res.body.indexOf(text) >= 0;
}

// `route` tags the request (routes.js measures the full and the basic view apart).
export function listJobs(user, query = "pageSize=50", route = "list") {
  const res = http.get(`${BASE_URL}/v1/jobs?${query}`, params(user, route));
  check(res, {
    [`${route}: 200`]: (r) => r.status === 200,
    [`${route}: jobs and totalSize`]: (r) => has(r, '"jobs":[{"name":"jobs/') && has(r, '"totalSize":'),
  });
}

// With `parse`, the application as an object (for its etag), else null.
export function getJob(user, name, parse = false) {
  const res = http.get(`${BASE_URL}/v1/${name}`, params(user, "get"));
  check(res, {
    "get: 200": (r) => r.status === 200,
    "get: the job asked for": (r) => has(r, `"name":"${name}"`) && has(r, '"etag":"'),
  });
  return parse && res.status === 200 ? json(res) : null;
}

// Changes the notes of a job read just before, guarded by its etag, as the board does.
export function updateJob(user, job) {
  const body = JSON.stringify({ notes: `Followed up at ${new Date().toISOString()}`, etag: job.etag });
  const res = http.patch(
    `${BASE_URL}/v1/${job.name}?updateMask=notes`,
    body,
    params(user, "update", { responseCallback: UPDATE_STATUSES }),
  );
  if (res.status === 409) etagConflicts.add(1);
  const updated = res.status === 200 ? json(res) : null;
  check(res, {
    "update: 200 (or 409 on a concurrent edit)": (r) => r.status === 200 || r.status === 409,
    "update: new etag": (r) => r.status === 409 || (updated !== null && updated.etag !== job.etag),
  });
  return updated;
}

export function stats(user) {
  const res = http.get(`${BASE_URL}/v1/jobs:stats?weeks=12`, params(user, "stats"));
  check(res, {
    "stats: 200": (r) => r.status === 200,
    "stats: counts the applications": (r) => /"total":[1-9]/.test(r.body || ""),
  });
}

const RESUME = [
  "Jane Doe - Senior Backend Engineer - jane@example.com",
  "Experience",
  "Acme Corp, Senior Backend Engineer, 2021-2026",
  "- Built Python gRPC services behind Envoy handling 2,000 requests per second",
  "- Ran PostgreSQL and SQLite migrations with zero downtime",
  "- Led a team of four engineers; introduced Kubernetes and Terraform",
  "Globex, Software Engineer, 2017-2021",
  "- Wrote REST APIs in Go and Python; on-call for the payments platform",
  "Skills: Python, Go, gRPC, Kubernetes, Terraform, PostgreSQL, AWS, Docker, CI/CD",
  "Education: BSc Computer Science, 2017",
].join("\n");

const DESCRIPTION = [
  "We are hiring a Senior Backend Engineer to build our platform's APIs.",
  "Requirements: 5+ years of Python, experience with gRPC or REST APIs, Kubernetes, AWS,",
  "PostgreSQL, Terraform. Nice to have: Go, Envoy, observability (OpenTelemetry, Prometheus).",
  "You will mentor engineers and own services end to end.",
].join("\n");

// One resume analysis of pasted text (the Analyze page); a distinct line per call so the
// service's per-user result cache does not answer it.
export function analyze(user) {
  const resumeText = `${RESUME}\n- Reference ${Math.random().toString(36).slice(2)}`;
  const res = http.post(
    `${BASE_URL}/v1/resumes:analyze`,
    JSON.stringify({ resumeText, jobDescription: DESCRIPTION }),
    params(user, "analyze", { timeout: "30s" }),
  );
  const body = json(res);
  check(res, {
    "analyze: 200": (r) => r.status === 200,
    "analyze: a score breakdown": () => body !== null && Array.isArray(body.scoreBreakdown),
  });
  return body;
}

// Envoy answering by itself (no upstream): the floor of a REST round trip.
export function healthz() {
  const res = http.get(`${BASE_URL}/healthz`, { tags: { route: "healthz" } });
  check(res, { "healthz: 200": (r) => r.status === 200 });
}

export { pick };
