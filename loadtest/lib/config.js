// Settings shared by every scenario, from environment variables (`k6 run -e NAME=value` or the
// environment), and the users the scenarios act as.
//
// Users come either from a JSON file the Python driver wrote (CV_SESSION, see
// scripts/bench_load.py: [{email, password, accessToken, jobs: ["jobs/..."]}]) or are signed up
// through the gateway in setup() (public routes /v1/auth:signUp and /v1/auth:signIn), each with
// CV_JOBS applications created through POST /v1/jobs.
import exec from "k6/execution";
import encoding from "k6/encoding";
import http from "k6/http";

export const BASE_URL = (__ENV.CV_BASE_URL || "http://127.0.0.1:8080").replace(/\/$/, "");
// host:port of one jobs process, for the native gRPC scenarios.
export const JOBS_GRPC = __ENV.CV_JOBS_GRPC || "127.0.0.1:50052";
export const USERS = int("CV_USERS", 2);
export const JOBS_PER_USER = int("CV_JOBS", 20);
export const PASSWORD = __ENV.CV_PASSWORD || "Load-Test-Passw0rd!";
// Latency thresholds are part of every script; CV_LATENCY_THRESHOLDS=0 keeps only the
// failure thresholds (the integration test runs on a shared, busy machine).
export const LATENCY_THRESHOLDS = (__ENV.CV_LATENCY_THRESHOLDS || "1") !== "0";
// Fraction of a job seeker's iterations that also ask for a resume analysis.
export const ANALYSIS_SHARE = float("CV_ANALYSIS_SHARE", 0.05);

const provided = __ENV.CV_SESSION ? JSON.parse(open(__ENV.CV_SESSION)) : null;

export function int(name, fallback) {
  const raw = __ENV[name];
  if (raw === undefined || raw === "") return fallback;
  const value = parseInt(raw, 10);
  if (Number.isNaN(value) || value < 0) throw new Error(`${name} must be a whole number, got ${raw}`);
  return value;
}

export function float(name, fallback) {
  const raw = __ENV[name];
  if (raw === undefined || raw === "") return fallback;
  const value = parseFloat(raw);
  if (Number.isNaN(value) || value < 0) throw new Error(`${name} must be a number, got ${raw}`);
  return value;
}

export function str(name, fallback) {
  const raw = __ENV[name];
  return raw === undefined || raw === "" ? fallback : raw;
}

const JSON_HEADERS = { "Content-Type": "application/json", Accept: "application/json" };

function post(path, body, headers, tag) {
  const res = http.post(`${BASE_URL}${path}`, JSON.stringify(body), {
    headers: { ...JSON_HEADERS, ...headers },
    tags: { route: tag, phase: "setup" },
  });
  if (res.status !== 200) {
    throw new Error(`setup: POST ${path} answered ${res.status}: ${String(res.body).slice(0, 300)}`);
  }
  return res.json();
}

export function signIn(email, password) {
  return post("/v1/auth:signIn", { email, password }, {}, "signIn").tokens.accessToken;
}

// Seconds since the epoch at which a JWT expires (its `exp` claim), or 0.
export function expiry(token) {
  try {
    const payload = token.split(".")[1];
    return JSON.parse(encoding.b64decode(payload, "rawurl", "s")).exp || 0;
  } catch (e) {
    return 0;
  }
}

// A user signed up and in through the gateway, with `count` applications.
export function newUser(label, count) {
  const email = `k6-${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  post("/v1/auth:signUp", { email, password: PASSWORD, displayName: "Load Test" }, {}, "signUp");
  const accessToken = signIn(email, PASSWORD);
  const auth = { Authorization: `Bearer ${accessToken}` };
  const jobs = [];
  for (let i = 0; i < count; i++) {
    const job = post(
      "/v1/jobs",
      {
        company: `Load Test ${i % 7} GmbH`,
        position: ["Backend Engineer", "Data Engineer", "SRE", "Staff Engineer"][i % 4],
        location: "Berlin",
        workMode: "HYBRID",
        tags: ["k6", `batch-${i % 3}`],
        notes: "Created by a k6 scenario (loadtest/).",
      },
      auth,
      "create",
    );
    jobs.push(job.name);
  }
  return { email, password: PASSWORD, accessToken, jobs };
}

// The users for a run: the driver's file when given, else CV_USERS new ones.
export function users() {
  if (provided) {
    if (!Array.isArray(provided) || provided.length === 0 || !provided[0].accessToken) {
      throw new Error("CV_SESSION must name a JSON list of {email, password, accessToken, jobs}");
    }
    return provided;
  }
  const out = [];
  for (let i = 0; i < Math.max(1, USERS); i++) out.push(newUser(`u${i}`, JOBS_PER_USER));
  return out;
}

// Per-VU token state: a VU signs in again shortly before its user's access token expires
// (15 minutes by default), so a soak can run for longer than one token's life.
const fresh = {};

export function tokenFor(user) {
  const now = Date.now() / 1000;
  let entry = fresh[user.email];
  if (!entry) {
    entry = { token: user.accessToken, exp: expiry(user.accessToken) };
    fresh[user.email] = entry;
  }
  if (entry.exp && entry.exp - now < 60) {
    entry.token = signIn(user.email, user.password);
    entry.exp = expiry(entry.token);
  }
  return entry.token;
}

// The user this VU acts as: VUs are spread over the users.
export function userOf(data) {
  return data.users[(exec.vu.idInTest - 1) % data.users.length];
}

export function pick(list) {
  return list[Math.floor(Math.random() * list.length)];
}

// Thresholds every script has: no failed request, every check passes, and every scenario ran.
export function failureThresholds(scenarios, extra = {}) {
  const out = {
    checks: ["rate>0.99"],
    ...extra,
  };
  for (const name of Object.keys(scenarios)) out[`iterations{scenario:${name}}`] = ["count>0"];
  return out;
}
